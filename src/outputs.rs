//! A circuit's outputs: read by name as Rust values ([`Outputs::get`]), or
//! printed as `NAME = VALUE` lines or one JSON object.

use crate::convert::FromValue;
use crate::error::{closest, OutputError};
use crate::Error;
use clap::Args;
use num_bigint::BigInt;
use serde_json::{Map, Value as Json};
use std::fmt;
use yao_compiler::value::Value;
use yao_compiler::Circuit;

/// The outputs of one execution, which both parties learn, read by name.
///
/// ```
/// use yao::{Circuit, Party};
/// let circuit = Circuit::compile(
///     "circuit f(garbler a: i32, evaluator b: i32) -> (sum: i32, big: bool) { (a + b, a + b > 100) }",
/// )?;
/// let mut g = circuit.inputs(Party::Garbler);
/// g.set("a", -7)?;
/// let mut e = circuit.inputs(Party::Evaluator);
/// e.set("b", 200)?;
/// let outputs = circuit.eval_plain(&g, &e)?;
/// assert_eq!(outputs.get::<i32>("sum")?, 193);
/// assert!(outputs.get::<bool>("big")?);
/// assert_eq!(outputs.to_string(), "sum = 193\nbig = true\n");
/// let e = outputs.get::<u64>("sum").unwrap_err();
/// assert_eq!(e.to_string(), "output `sum: i32` cannot be read as u64; read it as i32");
/// # Ok::<(), yao::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Outputs {
    circuit: crate::Circuit,
    bits: Vec<Vec<bool>>,
}

impl Outputs {
    pub(crate) fn new(circuit: crate::Circuit, bits: Vec<Vec<bool>>) -> Outputs {
        Outputs { circuit, bits }
    }

    /// Output `name` as a `T`: any type [`FromValue`] reads that holds
    /// every value of the output's type (checked by type, not value:
    /// `get::<u8>` refuses a `u16` output even when it holds 7; see
    /// [`crate::convert`]).
    pub fn get<T: FromValue>(&self, name: &str) -> Result<T, Error> {
        let outputs = &self.circuit.ir().outputs;
        let Some(k) = outputs.iter().position(|o| o.name == name) else {
            let names = || outputs.iter().map(|o| o.name.as_str());
            return Err(OutputError::Unknown {
                name: name.into(),
                suggestion: closest(name, names()),
                available: names().map(String::from).collect(),
            }
            .into());
        };
        let ty = &outputs[k].ty;
        let value = Value::decode(&self.bits[k], ty)
            .unwrap_or_else(|| unreachable!("output widths match their types"));
        T::from_value(value, ty).ok_or_else(|| {
            OutputError::Type {
                name: name.into(),
                ty: ty.clone(),
                requested: std::any::type_name::<T>(),
            }
            .into()
        })
    }

    /// Every output's name and value, in circuit order.
    pub fn values(&self) -> Vec<(String, Value)> {
        decode(self.circuit.ir(), &self.bits)
    }

    /// The bits of each output group in circuit order, least significant first.
    pub fn bits(&self) -> &[Vec<bool>] {
        &self.bits
    }
}

/// Equal outputs of the same circuit, as both parties of a run learn them.
impl PartialEq for Outputs {
    fn eq(&self, other: &Outputs) -> bool {
        self.bits == other.bits && self.circuit.same(&other.circuit)
    }
}

/// `NAME = VALUE` lines, as the command line prints them.
impl fmt::Display for Outputs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&render_lines(&self.values(), false))
    }
}

/// How outputs are printed.
#[derive(Args, Debug, Clone, Copy, Default)]
pub struct OutputArgs {
    /// Print integers in hexadecimal.
    #[arg(long)]
    pub hex: bool,
    /// Print one JSON object instead of `NAME = VALUE` lines.
    #[arg(long)]
    pub json: bool,
}

/// The decoded value of each output group, by name, in circuit order.
pub fn decode(circuit: &Circuit, bits: &[Vec<bool>]) -> Vec<(String, Value)> {
    circuit
        .outputs
        .iter()
        .zip(bits)
        .map(|(o, b)| {
            let v = Value::decode(b, &o.ty)
                .unwrap_or_else(|| unreachable!("output widths match their types"));
            (o.name.clone(), v)
        })
        .collect()
}

/// `NAME = VALUE` lines.
pub fn render_lines(values: &[(String, Value)], hex: bool) -> String {
    values
        .iter()
        .map(|(name, v)| {
            let v = if hex {
                v.to_hex_string()
            } else {
                v.to_string()
            };
            format!("{name} = {v}\n")
        })
        .collect()
}

/// The outputs as a JSON object. Integers in JSON's safe range (magnitude
/// at most 2^53 - 1) are numbers; the others (and all of them with `hex`)
/// are decimal strings: most JSON readers hold numbers as doubles and
/// would round them (`jq` reads 9007199254740993 as 9007199254740992).
pub fn to_json(values: &[(String, Value)], hex: bool) -> Json {
    let mut map = Map::new();
    for (name, v) in values {
        map.insert(name.clone(), json_value(v, hex));
    }
    Json::Object(map)
}

fn json_value(v: &Value, hex: bool) -> Json {
    match v {
        Value::Bool(b) => Json::Bool(*b),
        Value::Int(_) if hex => Json::String(v.to_hex_string()),
        Value::Int(i) => int_json(i),
        Value::Array(items) | Value::Tuple(items) => {
            Json::Array(items.iter().map(|x| json_value(x, hex)).collect())
        }
        Value::Struct(fields) => Json::Object(
            fields
                .iter()
                .map(|(n, x)| (n.clone(), json_value(x, hex)))
                .collect(),
        ),
    }
}

/// The largest magnitude every JSON reader holds exactly: 2^53 - 1
/// (JavaScript's `Number.MAX_SAFE_INTEGER`).
pub const MAX_SAFE_INTEGER: i64 = (1 << 53) - 1;

/// An integer as a JSON number when every reader reads it exactly, else as
/// a decimal string.
fn int_json(i: &BigInt) -> Json {
    match i64::try_from(i) {
        Ok(v) if v.unsigned_abs() <= MAX_SAFE_INTEGER as u64 => Json::from(v),
        _ => Json::String(i.to_string()),
    }
}

/// Prints outputs in the chosen format to standard output.
pub fn print(circuit: &Circuit, bits: &[Vec<bool>], args: OutputArgs) {
    crate::say(&render(circuit, bits, args));
}

/// What [`print()`] prints.
pub fn render(circuit: &Circuit, bits: &[Vec<bool>], args: OutputArgs) -> String {
    let values = decode(circuit, bits);
    if args.json {
        format!("{}\n", to_json(&values, args.hex))
    } else {
        render_lines(&values, args.hex)
    }
}
