//! Turning the values a user types (`NAME=VALUE` or bare `VALUE`) into the
//! bits of a party's input groups, with errors that say what to type instead.

use anyhow::{bail, Result};
use std::collections::BTreeMap;
use yao_compiler::lang::shared::shared_input_of;
use yao_compiler::value::Value;
use yao_compiler::{Circuit, Party};

/// The bits of every input group of `party`, keyed by group index in
/// `circuit.inputs`. `values` are `NAME=VALUE` or bare `VALUE`s; bare values
/// fill the groups not named explicitly, in order.
pub fn assign(
    circuit: &Circuit,
    party: Party,
    values: &[String],
) -> Result<BTreeMap<usize, Vec<bool>>> {
    assign_with(circuit, party, values, BTreeMap::new())
}

/// [`assign`] where the groups in `preset` (group index -> bits, e.g. shares
/// assembled from share files) are already given and must not be typed.
pub fn assign_with(
    circuit: &Circuit,
    party: Party,
    values: &[String],
    preset: BTreeMap<usize, Vec<bool>>,
) -> Result<BTreeMap<usize, Vec<bool>>> {
    let groups: Vec<usize> = (0..circuit.inputs.len())
        .filter(|&k| circuit.inputs[k].party == party && !preset.contains_key(&k))
        .collect();
    let mut texts: BTreeMap<usize, &str> = BTreeMap::new();
    let mut bare = Vec::new();
    for v in values {
        match split_named(v) {
            Some((name, text)) => {
                let Some(k) = circuit.inputs.iter().position(|i| i.name == name) else {
                    bail!(
                        "{party} input `{name}` does not exist{}",
                        suggestion(circuit, party, name)
                    );
                };
                let input = &circuit.inputs[k];
                if input.party != party {
                    bail!(
                        "`{name}` is the {}'s input, not the {party}'s; pass it with --{}",
                        input.party,
                        input.party
                    );
                }
                if preset.contains_key(&k) {
                    bail!("{party} input `{name}` is given both as a value and by share files");
                }
                if texts.insert(k, text).is_some() {
                    bail!("{party} input `{name}` is given twice");
                }
            }
            None => bare.push(v.as_str()),
        }
    }
    let unnamed: Vec<usize> = groups
        .iter()
        .copied()
        .filter(|k| !texts.contains_key(k))
        .collect();
    let mut free = unnamed.iter();
    for v in bare {
        match free.next() {
            Some(&k) => {
                texts.insert(k, v);
            }
            None => bail!(
                "too many {party} values: the {party} has {} input{} ({}), and `{v}` is one too many",
                groups.len(),
                if groups.len() == 1 { "" } else { "s" },
                describe(circuit, &groups)
            ),
        }
    }
    let mut bits = BTreeMap::new();
    for &k in &groups {
        let input = &circuit.inputs[k];
        let Some(text) = texts.get(&k) else {
            if let Some(s) = shared_input_of(circuit, &input.name) {
                bail!(
                    "missing {party} input `{}: {}`, the {party}'s share of the shared input `{}`; \
                     pass the directory of the providers' share files with --shares DIR \
                     (`yao run`: --{party}-shares DIR)",
                    input.name,
                    input.ty,
                    s.name
                );
            }
            bail!(
                "missing {party} input `{}: {}`; pass it with --{party} {}=VALUE",
                input.name,
                input.ty,
                input.name
            );
        };
        let value = Value::parse(text)
            .and_then(|v| v.encode(&input.ty))
            .map_err(|e| anyhow::anyhow!("{party} input `{}: {}`: {e}", input.name, input.ty))?;
        bits.insert(k, value);
    }
    bits.extend(preset);
    Ok(bits)
}

/// The inputs of both parties in circuit order, for a plaintext run.
pub fn assign_all(
    circuit: &Circuit,
    garbler: &[String],
    evaluator: &[String],
) -> Result<Vec<Vec<bool>>> {
    let mut all = assign(circuit, Party::Garbler, garbler)?;
    all.extend(assign(circuit, Party::Evaluator, evaluator)?);
    Ok(all.into_values().collect())
}

/// The `NAME=VALUE` strings of an `--input-file`: a JSON object mapping input
/// names to values. Numbers and booleans are written as JSON literals,
/// anything else (hex, big integers, tuples such as `"(3, true)"`) as
/// strings, and arrays as JSON arrays of those.
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
        values.push(format!("{name}={}", json_to_text(&v)));
    }
    Ok(values)
}

fn json_to_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Array(items) => {
            let items: Vec<String> = items.iter().map(json_to_text).collect();
            format!("[{}]", items.join(", "))
        }
        other => other.to_string(),
    }
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

fn describe(circuit: &Circuit, groups: &[usize]) -> String {
    let names: Vec<String> = groups
        .iter()
        .map(|&k| format!("{}: {}", circuit.inputs[k].name, circuit.inputs[k].ty))
        .collect();
    names.join(", ")
}

fn suggestion(circuit: &Circuit, party: Party, name: &str) -> String {
    let best = circuit
        .inputs_of(party)
        .map(|i| (strsim::levenshtein(&i.name, name), &i.name))
        .min_by_key(|(d, _)| *d);
    match best {
        Some((d, n)) if d <= 2.max(name.len() / 3) => format!("; did you mean `{n}`?"),
        _ => {
            let names: Vec<&str> = circuit.inputs_of(party).map(|i| i.name.as_str()).collect();
            if names.is_empty() {
                format!("; the {party} has no inputs")
            } else {
                format!("; the {party}'s inputs are {}", names.join(", "))
            }
        }
    }
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
    fn json_must_be_an_object_of_names() {
        for bad in ["[1, 2]", "{", r#"{"1x": 3}"#, r#"{"a=b": 3}"#, "42"] {
            assert!(values_from_json(bad).is_err(), "{bad}");
        }
    }
}
