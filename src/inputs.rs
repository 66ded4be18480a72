//! A party's inputs, set by name: from Rust values ([`Inputs::set`]), from
//! the text a user types ([`Inputs::set_text`], and [`set_typed`] for a
//! command line's `NAME=VALUE` and bare values), or from share files
//! ([`Inputs::set_shares`]). The command-line tools and the library share
//! this one implementation, errors included; the tools add the flag to use.

use crate::convert::IntoValue;
use crate::error::{closest, InputError};
use crate::split_check::Splits;
use crate::{Circuit, Error};
use anyhow::{anyhow, bail, Result};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use yao_compiler::lang::shared::shared_input_of;
use yao_compiler::value::{Value, ValueError};
use yao_compiler::{Party, ValueType};

/// One party's input values for one execution of a circuit, set by name.
///
/// ```
/// use yao::{Circuit, Party};
/// let circuit = Circuit::compile(
///     "circuit f(garbler key: u128, garbler xs: [i8; 3], garbler on: bool,
///                evaluator m: u8) -> u8 { m }",
/// )?;
/// let mut inputs = circuit.inputs(Party::Garbler);
/// inputs
///     .set("key", [0x2bu8, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6,
///                  0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf, 0x4f, 0x3c])? // big-endian
///     .set("xs", [-1i8, 0, 7])?
///     .set("on", true)?;
/// let e = inputs.set("on", 2).unwrap_err();
/// assert_eq!(e.to_string(), "garbler input `on: bool`: expected bool, found the number 2");
/// let e = inputs.set("m", 1).unwrap_err();
/// assert_eq!(e.to_string(), "`m` is the evaluator's input, not the garbler's");
/// # Ok::<(), yao::Error>(())
/// ```
#[derive(Clone)]
pub struct Inputs {
    circuit: Circuit,
    party: Party,
    /// The bits of each group set so far, by index in the circuit's inputs.
    groups: BTreeMap<usize, Vec<bool>>,
    /// The groups filled from share files.
    from_files: BTreeSet<usize>,
    /// What the servers check with each other about those files.
    splits: Option<Splits>,
}

/// Which inputs are set, not their values: a party's inputs are its secrets,
/// and a debug print ends up in logs.
impl std::fmt::Debug for Inputs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let inputs = &self.circuit.ir().inputs;
        let set: Vec<&str> = self
            .groups
            .keys()
            .map(|&k| inputs[k].name.as_str())
            .collect();
        f.debug_struct("Inputs")
            .field("circuit", &self.circuit.ir().name)
            .field("party", &self.party)
            .field("set", &set)
            .finish_non_exhaustive()
    }
}

impl Inputs {
    pub(crate) fn new(circuit: Circuit, party: Party) -> Inputs {
        Inputs {
            circuit,
            party,
            groups: BTreeMap::new(),
            from_files: BTreeSet::new(),
            splits: None,
        }
    }

    /// Sets input `name` to `value`: any Rust value [`IntoValue`] takes,
    /// checked against the input's type (integers by value, so `5` sets a
    /// `u64`; byte strings big-endian for an unsigned integer, see
    /// [`crate::convert`]). Setting an input again replaces its value.
    pub fn set(&mut self, name: &str, value: impl IntoValue) -> Result<&mut Inputs, Error> {
        self.assign(name, |ty| Ok(value.into_value(ty)))
    }

    /// Sets input `name` to a value written as on the command line: `42`,
    /// `-0x10`, `0b101`, `true`, `[1, 2, 3]`, `(7, false)`.
    pub fn set_text(&mut self, name: &str, text: &str) -> Result<&mut Inputs, Error> {
        self.assign(name, |_| Value::parse(text))
    }

    fn assign(
        &mut self,
        name: &str,
        value: impl FnOnce(&ValueType) -> Result<Value, ValueError>,
    ) -> Result<&mut Inputs, Error> {
        let k = self.group(name)?;
        let party = self.party;
        if self.from_files.contains(&k) {
            return Err(InputError::SetTwice {
                party,
                name: name.into(),
            }
            .into());
        }
        let ty = &self.circuit.ir().inputs[k].ty;
        let bits = value(ty)
            .and_then(|v| v.encode(ty))
            .map_err(|error| InputError::Value {
                party,
                name: name.into(),
                ty: ty.clone(),
                error: Box::new(error),
            })?;
        self.groups.insert(k, bits);
        Ok(self)
    }

    /// The index of this party's input group `name`.
    fn group(&self, name: &str) -> Result<usize, InputError> {
        let inputs = &self.circuit.ir().inputs;
        let Some(k) = inputs.iter().position(|i| i.name == name) else {
            let mine = || {
                self.circuit
                    .ir()
                    .inputs_of(self.party)
                    .map(|i| i.name.as_str())
            };
            return Err(InputError::Unknown {
                party: self.party,
                name: name.into(),
                suggestion: closest(name, mine()),
                available: mine().map(String::from).collect(),
            });
        };
        if inputs[k].party != self.party {
            return Err(InputError::WrongParty {
                name: name.into(),
                owner: inputs[k].party,
                party: self.party,
            });
        }
        Ok(k)
    }

    /// Fills this party's share group of every `shared` input from the
    /// share files in `dir` (or `dir/garbler`, `dir/evaluator`), as `yao
    /// share` writes them; see [`crate::share`]. [`crate::run`] then
    /// checks with the other server, before computing, that each slot's two
    /// shares are halves of one split.
    pub fn set_shares(&mut self, dir: impl AsRef<Path>) -> Result<&mut Inputs, Error> {
        let assembled = crate::share::assemble(self.circuit.ir(), self.party, dir.as_ref())?;
        for &k in assembled.groups.keys() {
            if self.groups.contains_key(&k) && !self.from_files.contains(&k) {
                return Err(InputError::SetTwice {
                    party: self.party,
                    name: self.circuit.ir().inputs[k].name.clone(),
                }
                .into());
            }
        }
        self.from_files = assembled.groups.keys().copied().collect();
        self.groups.extend(assembled.groups);
        self.splits = Some(Splits {
            party: self.party,
            circuit: self.circuit.identified().id(),
            origins: assembled.origins,
        });
        Ok(self)
    }

    /// Whose inputs these are.
    pub fn party(&self) -> Party {
        self.party
    }

    /// The circuit these inputs are for.
    pub fn circuit(&self) -> &Circuit {
        &self.circuit
    }

    /// The names of this party's inputs not set yet, in circuit order.
    pub fn missing(&self) -> impl Iterator<Item = &str> + '_ {
        self.circuit
            .ir()
            .inputs
            .iter()
            .enumerate()
            .filter(|(k, i)| i.party == self.party && !self.groups.contains_key(k))
            .map(|(_, i)| i.name.as_str())
    }

    /// The bits of this party's input groups in circuit order, least
    /// significant first: what a session sends. Fails if an input is not set.
    pub fn bits(&self) -> Result<Vec<Vec<bool>>, Error> {
        let ir = self.circuit.ir();
        let mut bits = Vec::with_capacity(self.groups.len());
        for (k, input) in ir.inputs.iter().enumerate() {
            if input.party != self.party {
                continue;
            }
            let Some(b) = self.groups.get(&k) else {
                return Err(InputError::Missing {
                    party: self.party,
                    name: input.name.clone(),
                    ty: input.ty.clone(),
                    shared: shared_input_of(ir, &input.name).map(|s| s.name),
                }
                .into());
            };
            bits.push(b.clone());
        }
        Ok(bits)
    }

    /// The servers' check of their share files, if these came from any.
    pub(crate) fn splits(&self) -> Option<&Splits> {
        self.splits.as_ref()
    }

    /// Fails unless these are `party`'s inputs for `circuit`.
    pub(crate) fn check_for(&self, circuit: &Circuit, party: Party) -> Result<(), InputError> {
        if self.party != party {
            return Err(InputError::Party {
                expected: party,
                found: self.party,
            });
        }
        if !self.circuit.same(circuit) {
            return Err(InputError::OtherCircuit {
                expected: circuit.ir().name.clone(),
                found: self.circuit.ir().name.clone(),
            });
        }
        Ok(())
    }

    /// Both parties' bits in circuit order, for a plaintext evaluation.
    pub(crate) fn merge(
        circuit: &Circuit,
        garbler: &Inputs,
        evaluator: &Inputs,
    ) -> Result<Vec<Vec<bool>>, Error> {
        garbler.check_for(circuit, Party::Garbler)?;
        evaluator.check_for(circuit, Party::Evaluator)?;
        let (mut g, mut e) = (garbler.bits()?.into_iter(), evaluator.bits()?.into_iter());
        Ok(circuit
            .ir()
            .inputs
            .iter()
            .map(|i| match i.party {
                Party::Garbler => g.next(),
                Party::Evaluator => e.next(),
            })
            .map(Option::unwrap_or_default)
            .collect())
    }
}

/// `party`'s inputs from the values a user typed (see [`set_typed`]),
/// complete: a missing one is an error.
pub fn from_typed(circuit: &Circuit, party: Party, values: &[String]) -> Result<Inputs> {
    let mut inputs = circuit.inputs(party);
    set_typed(&mut inputs, values)?;
    Ok(inputs)
}

/// Sets `inputs` from `NAME=VALUE`s and bare `VALUE`s as a user typed them
/// (`--garbler`, `--evaluator`, `--input-file`): bare values fill the
/// inputs not named (nor filled by share files), in order. Then checks that
/// every input is set. Errors say which flag to use.
pub fn set_typed(inputs: &mut Inputs, values: &[String]) -> Result<()> {
    let party = inputs.party();
    let open: Vec<String> = inputs.missing().map(String::from).collect();
    let mut named = BTreeSet::new();
    let mut bare = Vec::new();
    for v in values {
        match split_named(v) {
            Some((name, text)) => {
                if named.contains(name) {
                    bail!("{party} input `{name}` is given twice");
                }
                inputs.set_text(name, text).map_err(with_flag)?;
                named.insert(name);
            }
            None => bare.push(v.as_str()),
        }
    }
    let mut free = open.iter().filter(|n| !named.contains(n.as_str()));
    for v in bare {
        match free.next() {
            Some(name) => {
                inputs.set_text(name, v).map_err(with_flag)?;
            }
            None => bail!(
                "too many {party} values: the {party} has {} input{} ({}), and `{v}` is one too many",
                open.len(),
                if open.len() == 1 { "" } else { "s" },
                describe(inputs.circuit(), &open)
            ),
        }
    }
    inputs.bits().map_err(with_flag)?;
    Ok(())
}

/// A library error with the flag that fixes it.
fn with_flag(e: Error) -> anyhow::Error {
    match &e {
        Error::Input(InputError::Missing {
            party,
            name,
            shared: None,
            ..
        }) => anyhow!("{e}; pass it with --{party} {name}=VALUE"),
        Error::Input(InputError::Missing {
            party,
            shared: Some(_),
            ..
        }) => anyhow!(
            "{e}; pass the directory of the providers' share files with --shares DIR \
             (`yao run`: --{party}-shares DIR)"
        ),
        Error::Input(InputError::WrongParty { owner, .. }) => {
            anyhow!("{e}; pass it with --{owner}")
        }
        _ => e.into(),
    }
}

/// The `NAME=VALUE` strings of an `--input-file`: a JSON object mapping input
/// names to values. Numbers and booleans are written as JSON literals,
/// anything else (hex, big integers, tuples such as `"(3, true)"`) as
/// strings, arrays as JSON arrays of those, and structs as JSON objects by
/// field name (`{"x": 3, "y": 4}`).
pub fn values_from_json(text: &str) -> Result<Vec<String>> {
    let json: serde_json::Value =
        serde_json::from_str(text).map_err(|e| anyhow::anyhow!("not valid JSON: {e}"))?;
    let serde_json::Value::Object(map) = json else {
        bail!("it must hold a JSON object mapping input names to values, e.g. {{\"alice\": 42}}");
    };
    let mut values = Vec::with_capacity(map.len());
    for (name, v) in map {
        if !is_name(&name) {
            bail!("`{name}` is not an input name (a name is a letter or `_`, then letters, digits, `_` or `.`)");
        }
        values.push(format!("{name}={}", json_to_text(&v)?));
    }
    Ok(values)
}

/// A JSON value as the text [`Value::parse`] reads: arrays element by
/// element, objects (struct values) field by field as `{name: value}`.
fn json_to_text(v: &serde_json::Value) -> Result<String> {
    Ok(match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Array(items) => {
            let items = items.iter().map(json_to_text).collect::<Result<Vec<_>>>()?;
            format!("[{}]", items.join(", "))
        }
        serde_json::Value::Object(fields) => {
            let mut parts = Vec::with_capacity(fields.len());
            for (name, v) in fields {
                if !is_field_name(name) {
                    bail!("`{name}` is not a struct field name (a letter or `_`, then letters, digits or `_`)");
                }
                parts.push(format!("{name}: {}", json_to_text(v)?));
            }
            format!("{{{}}}", parts.join(", "))
        }
        other => other.to_string(),
    })
}

fn is_field_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The options that take a list of input values: `yao eval`'s and `yao
/// run`'s `--garbler` and `--evaluator`, and the party binaries' own (and
/// their alias `--input`).
const VALUE_LISTS: [&str; 3] = ["--garbler", "--evaluator", "--input"];

/// The command line with every negative value in a value list made
/// unambiguous for clap, so that all commands take `-5`, `-0x10` and
/// `-0b101` alike (`yao eval DIV --garbler -7 -0x10`).
///
/// Clap reads a token that starts with `-` as options unless it is a
/// decimal number (`allow_negative_numbers`), so `-0x10` would be the
/// unknown short options `-0`, `-x`, .... No option of ours is `-` and a
/// digit, so such a token after a value-list option is a value: it becomes
/// `--garbler=-0x10`, and the list goes on with a fresh `--garbler`.
/// Anything else, and everything after `--`, is left as it is.
pub fn negative_values_as_values(
    args: impl IntoIterator<Item = std::ffi::OsString>,
) -> Vec<std::ffi::OsString> {
    let mut out = Vec::new();
    // The value-list option whose values are being read, if any.
    let mut list: Option<&str> = None;
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let text = arg.to_str().unwrap_or("");
        if text == "--" {
            out.push(arg);
            out.extend(args);
            break;
        }
        let negative = text
            .strip_prefix('-')
            .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit()));
        match list {
            Some(option) if negative => {
                out.push(format!("{option}={text}").into());
                out.push(option.into());
                continue;
            }
            _ if text.starts_with('-') => {
                list = VALUE_LISTS.iter().copied().find(|&o| o == text);
            }
            _ => {}
        }
        out.push(arg);
    }
    out
}

/// `name=value` where `name` is an identifier, or a share group's dotted
/// name (`grades.g`); anything else is a bare value.
fn split_named(v: &str) -> Option<(&str, &str)> {
    let (name, value) = v.split_once('=')?;
    let name = name.trim();
    is_name(name).then_some((name, value.trim()))
}

/// An identifier, or a share group's dotted name (`grades.g`).
fn is_name(name: &str) -> bool {
    name.chars()
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_')
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '.')
}

/// `name: type` of each named input.
fn describe(circuit: &Circuit, names: &[String]) -> String {
    let ir = circuit.ir();
    let typed: Vec<String> = names
        .iter()
        .filter_map(|n| ir.inputs.iter().find(|i| &i.name == n))
        .map(|i| format!("{}: {}", i.name, i.ty))
        .collect();
    typed.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_values_become_named_values() {
        let v = values_from_json(r#"{"a": 42, "b": [true, "0xff"], "c": -1}"#).unwrap();
        assert_eq!(v, ["a=42", "b=[true, 0xff]", "c=-1"]);
    }

    #[test]
    fn negative_values_in_any_base_stay_values() {
        let args = |line: &str| -> Vec<String> {
            negative_values_as_values(line.split(' ').map(Into::into))
                .into_iter()
                .map(|a| a.into_string().unwrap())
                .collect()
        };
        assert_eq!(
            args("yao eval c --garbler -7 -0x10 --evaluator 3 -0b1 --json"),
            [
                "yao",
                "eval",
                "c",
                "--garbler",
                "--garbler=-7",
                "--garbler",
                "--garbler=-0x10",
                "--garbler",
                "--evaluator",
                "3",
                "--evaluator=-0b1",
                "--evaluator",
                "--json"
            ]
        );
        // Not after a value list, nor after `--`: left to clap.
        for line in ["yao eval c -1 --hex -2", "garbler c --input -- -1"] {
            let expected: Vec<String> = line.split(' ').map(Into::into).collect();
            assert_eq!(args(line), expected, "{line}");
        }
        assert_eq!(args("garbler c --input -v")[3], "-v");
    }

    #[test]
    fn json_objects_are_struct_values_by_field_name() {
        let v = values_from_json(
            r#"{"r": {"lo": {"x": -1, "y": 2}, "tags": [1, "0x2"]}, "ps": [{"x": 1}, {}]}"#,
        )
        .unwrap();
        assert_eq!(
            v,
            ["ps=[{x: 1}, {}]", "r={lo: {x: -1, y: 2}, tags: [1, 0x2]}"]
        );
        let ty = yao_compiler::ValueType::Struct(Box::new(yao_compiler::ir::StructType {
            name: "P".into(),
            fields: vec![
                ("x".into(), ValueType::SInt(8)),
                ("y".into(), ValueType::SInt(8)),
            ],
        }));
        let text = values_from_json(r#"{"p": {"y": -2, "x": 3}}"#).unwrap();
        let value = Value::parse(text[0].strip_prefix("p=").unwrap()).unwrap();
        let bits = value.encode(&ty).unwrap();
        assert_eq!(
            Value::decode(&bits, &ty).unwrap().to_string(),
            "{x: 3, y: -2}"
        );
        for bad in [
            r#"{"p": {"x y": 1}}"#,
            r#"{"p": {"x:1,y": 2}}"#,
            r#"{"p": {"": 1}}"#,
        ] {
            let e = values_from_json(bad).unwrap_err().to_string();
            assert!(e.contains("is not a struct field name"), "{bad}: {e}");
        }
    }

    #[test]
    fn json_must_be_an_object_of_names() {
        for bad in ["[1, 2]", "{", r#"{"1x": 3}"#, r#"{"a=b": 3}"#, "42"] {
            assert!(values_from_json(bad).is_err(), "{bad}");
        }
    }
}
