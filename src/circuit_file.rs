//! Loading the circuit a command names: a `.yao` source (compiled) or a
//! Bristol file (imported), with the options that adapt Bristol files.

use anyhow::{bail, Context, Result};
use clap::{Args, ValueEnum};
use std::path::{Path, PathBuf};
use yao_compiler::bristol::{self, BitOrder, Format};
use yao_compiler::{Circuit, Party, ValidCircuit};

/// The circuit argument and the Bristol import options every command shares.
#[derive(Args, Debug, Clone)]
pub struct CircuitArgs {
    /// A `.yao` source file or a Bristol circuit file.
    pub circuit: PathBuf,
    /// Bristol dialect (default: told apart from the header).
    #[arg(long, value_enum)]
    pub format: Option<FormatArg>,
    /// Bristol bit numbering: `lsb0` (wire k is bit k) or `msb0` (wire 0 is the
    /// most significant bit, as in the old-format crypto circuits).
    #[arg(long, value_enum, default_value = "lsb0")]
    pub bit_order: BitOrderArg,
    /// Party of each Bristol input group, e.g. `g,e` or `garbler,evaluator,evaluator`
    /// (default: the first group is the garbler's, the others the evaluator's).
    #[arg(long, value_delimiter = ',')]
    pub parties: Option<Vec<PartyArg>>,
}

#[derive(ValueEnum, Debug, Clone, Copy)]
pub enum FormatArg {
    Bristol,
    BristolOld,
}

#[derive(ValueEnum, Debug, Clone, Copy)]
pub enum BitOrderArg {
    Lsb0,
    Msb0,
}

#[derive(ValueEnum, Debug, Clone, Copy)]
pub enum PartyArg {
    #[value(alias = "garbler")]
    G,
    #[value(alias = "evaluator")]
    E,
}

impl CircuitArgs {
    /// Compiles or imports the circuit, with errors that name the file.
    pub fn load(&self) -> Result<Circuit> {
        Ok(match self.read()? {
            Loaded::Compiled(c) => c,
            Loaded::Imported(c) => c.into_inner(),
        })
    }

    /// [`CircuitArgs::load`], marked valid for a consumer that would
    /// otherwise validate it again (a Bristol import is valid as read; a
    /// compiled source is validated here).
    pub fn load_valid(&self) -> Result<ValidCircuit> {
        match self.read()? {
            Loaded::Compiled(c) => ValidCircuit::new(c).with_context(|| {
                format!(
                    "`{}` compiled to an invalid circuit",
                    self.circuit.display()
                )
            }),
            Loaded::Imported(c) => Ok(c),
        }
    }

    fn read(&self) -> Result<Loaded> {
        load(
            &self.circuit,
            &self.bristol_options(),
            self.format.is_some() || self.parties.is_some(),
        )
    }

    /// The Bristol import options the flags ask for.
    pub fn bristol_options(&self) -> bristol::Options {
        bristol::Options {
            format: self.format.map(|f| match f {
                FormatArg::Bristol => Format::Fashion,
                FormatArg::BristolOld => Format::Old,
            }),
            bit_order: match self.bit_order {
                BitOrderArg::Lsb0 => BitOrder::Lsb0,
                BitOrderArg::Msb0 => BitOrder::Msb0,
            },
            parties: self.parties.as_ref().map(|ps| {
                ps.iter()
                    .map(|p| match p {
                        PartyArg::G => Party::Garbler,
                        PartyArg::E => Party::Evaluator,
                    })
                    .collect()
            }),
        }
    }
}

/// Files larger than this are refused before they are read: the largest
/// published circuit is a few MB, and a mistaken path to a disk image should
/// not exhaust memory.
const MAX_FILE_BYTES: u64 = 1 << 30;

/// A circuit as [`load`] got it.
enum Loaded {
    Compiled(Circuit),
    Imported(ValidCircuit),
}

fn load(path: &Path, options: &bristol::Options, bristol_flags: bool) -> Result<Loaded> {
    let meta = std::fs::metadata(path)
        .with_context(|| format!("cannot open circuit `{}`", path.display()))?;
    if meta.len() > MAX_FILE_BYTES {
        bail!(
            "circuit `{}` is {} bytes, more than the {} a circuit file may have",
            path.display(),
            meta.len(),
            MAX_FILE_BYTES
        );
    }
    if path.extension().is_some_and(|e| e == "yao") {
        if bristol_flags {
            bail!(
                "--format and --parties apply to Bristol files; `{}` is a Yao source",
                path.display()
            );
        }
        let color = std::io::IsTerminal::is_terminal(&std::io::stderr());
        return yao_compiler::lang::compile_file(path)
            .map(Loaded::Compiled)
            .map_err(|d| anyhow::Error::new(crate::RenderedDiagnostics(d.render(color))));
    }
    // Read through the limit too: a device such as /dev/zero reports a
    // length of 0 and never ends. Sized from the metadata (`Take` hides the
    // file's size from `read_to_end`): one buffer, not one that doubles a
    // dozen times, each time on fresh pages.
    let mut bytes = Vec::with_capacity(meta.len() as usize + 1);
    std::fs::File::open(path)
        .and_then(|f| {
            std::io::Read::read_to_end(&mut std::io::Read::take(f, MAX_FILE_BYTES + 1), &mut bytes)
        })
        .with_context(|| format!("cannot read circuit `{}`", path.display()))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        bail!(
            "circuit `{}` is longer than the {MAX_FILE_BYTES} bytes a circuit file may have",
            path.display()
        );
    }
    let text = String::from_utf8(bytes).map_err(|e| {
        anyhow::anyhow!(
            "cannot read circuit `{}`: it is not UTF-8 text (invalid byte at offset {})",
            path.display(),
            e.utf8_error().valid_up_to()
        )
    })?;
    let name = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    bristol::parse_valid(&name, &text, options)
        .map(Loaded::Imported)
        .with_context(|| format!("`{}` is not a valid Bristol circuit", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(path: &Path) -> CircuitArgs {
        CircuitArgs {
            circuit: path.to_path_buf(),
            format: None,
            bit_order: BitOrderArg::Lsb0,
            parties: None,
        }
    }

    #[test]
    fn load_valid_gives_what_load_gives() {
        let dir = std::env::temp_dir().join(format!("yao-circuit-file-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let bristol = dir.join("or.txt");
        std::fs::write(&bristol, "1 3\n2 1 1\n1 1\n\n2 1 0 1 2 AND\n").unwrap();
        let broken = dir.join("broken.txt");
        std::fs::write(&broken, "1 3\n2 1 1\n1 1\n\n2 1 0 7 2 AND\n").unwrap();
        let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("circuits/millionaires.yao");
        for path in [&bristol, &source] {
            let a = args(path);
            assert_eq!(a.load_valid().unwrap().into_inner(), a.load().unwrap());
        }
        let a = args(&broken);
        assert_eq!(
            format!("{:#}", a.load_valid().unwrap_err()),
            format!("{:#}", a.load().unwrap_err())
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
