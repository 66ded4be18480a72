//! The circuit a command names: a `.yao` source (compiled) or a Bristol
//! file (imported, [`crate::Circuit::load_with`]), with the flags that
//! adapt Bristol files.

use anyhow::{bail, Context, Result};
use clap::{Args, ValueEnum};
use std::path::PathBuf;
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
        Ok(self.load_valid()?.into_inner())
    }

    /// [`CircuitArgs::load`], marked valid for a consumer that would
    /// otherwise validate it again.
    pub fn load_valid(&self) -> Result<ValidCircuit> {
        self.is_source()?;
        Ok(crate::circuit::read_file_reporting(
            &self.circuit,
            &self.bristol_options(),
        )?)
    }

    /// The circuit as the library's handle.
    pub fn open(&self) -> Result<crate::Circuit> {
        self.is_source()?;
        Ok(crate::circuit::open_reporting(
            &self.circuit,
            &self.bristol_options(),
        )?)
    }

    /// Writes the circuit as a compiled file (`.yaoc`) at `out`. A `.yao`
    /// source is compiled straight into the file, its gates never held in
    /// memory (a 16x16 matrix product of u32 is 12 million gates); a
    /// Bristol or compiled file is loaded, then written.
    pub fn write_compiled(&self, out: &std::path::Path) -> Result<()> {
        if self.is_source()? {
            crate::circuit::compile_source_to_file(&self.circuit, out)?;
            return Ok(());
        }
        let c = self.load()?;
        std::fs::write(out, yao_compiler::compiled::to_bytes(&c))
            .with_context(|| format!("cannot write `{}`", out.display()))
    }

    /// Whether the circuit is a `.yao` source; an error if Bristol flags
    /// were given for one.
    fn is_source(&self) -> Result<bool> {
        let path = &self.circuit;
        let source = path.extension().is_some_and(|e| e == "yao");
        if source && (self.format.is_some() || self.parties.is_some()) {
            bail!(
                "--format and --parties apply to Bristol files; `{}` is a Yao source",
                path.display()
            );
        }
        Ok(source)
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

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
