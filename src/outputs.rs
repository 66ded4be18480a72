//! Printing a circuit's outputs as `NAME = VALUE` lines or one JSON object.

use clap::Args;
use num_bigint::BigInt;
use serde_json::{Map, Value as Json};
use yao_compiler::value::Value;
use yao_compiler::Circuit;

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

/// What [`print`] prints.
pub fn render(circuit: &Circuit, bits: &[Vec<bool>], args: OutputArgs) -> String {
    let values = decode(circuit, bits);
    if args.json {
        format!("{}\n", to_json(&values, args.hex))
    } else {
        render_lines(&values, args.hex)
    }
}
