//! A circuit ready to run: compiled from a `.yao` source or imported from
//! a Bristol file, and checked once, here, so that everything downstream
//! (inputs, sessions, outputs) may rely on it.

use crate::share::{ShareFile, Slot};
use crate::{Error, Inputs, IntoValue, Outputs};
use std::path::Path;
use std::sync::{Arc, OnceLock};
use yao_compiler::bristol;
use yao_compiler::{ir, Party, ValidCircuit};

/// A compiled or imported circuit. Cloning it is cheap (the gates are
/// shared), so each party's thread may hold its own.
///
/// ```
/// let circuit = yao::Circuit::compile(
///     "circuit max(garbler a: u32, evaluator b: u32) -> u32 { if a > b { a } else { b } }",
/// )?;
/// assert_eq!(circuit.ir().inputs.len(), 2);
/// # Ok::<(), yao::Error>(())
/// ```
#[derive(Clone)]
pub struct Circuit(Arc<ir::Circuit>, Arc<OnceLock<ir::CircuitId>>);

/// The name and sizes: a large circuit's gates would fill a log.
impl std::fmt::Debug for Circuit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Circuit")
            .field("name", &self.0.name)
            .field("inputs", &self.0.inputs.len())
            .field("outputs", &self.0.outputs.len())
            .field("gates", &self.0.gates.len())
            .finish()
    }
}

impl Circuit {
    /// Loads a circuit file: a `.yao` source is compiled, anything else is
    /// read as a Bristol file (Bristol Fashion or the older format, told
    /// apart from the header; the first input group is the garbler's, the
    /// others the evaluator's, named `in0`, `in1`, ...; outputs `out0`, ...).
    pub fn load(path: impl AsRef<Path>) -> Result<Circuit, Error> {
        Self::load_with(path, &bristol::Options::default())
    }

    /// [`Circuit::load`] with Bristol import options (dialect, bit order,
    /// parties); a `.yao` source ignores them.
    pub fn load_with(path: impl AsRef<Path>, options: &bristol::Options) -> Result<Circuit, Error> {
        read_file_identified(path.as_ref(), options, false)
            .map(|(c, id)| Circuit::with_checked_id(c, id))
    }

    /// Compiles `.yao` source text; `use "file.yao"` is resolved relative to
    /// the current directory.
    pub fn compile(source: &str) -> Result<Circuit, Error> {
        let c = yao_compiler::lang::compile_str("<source>", source).map_err(Error::Compile)?;
        Ok(Circuit::from(compiled(c)))
    }

    /// Imports the text of a Bristol file.
    pub fn from_bristol(text: &str, options: &bristol::Options) -> Result<Circuit, Error> {
        bristol::parse_valid("bristol", text, options)
            .map(Circuit::from)
            .map_err(|error| Error::Bristol {
                name: "<text>".into(),
                error,
            })
    }

    /// An empty set of `party`'s inputs, to fill with [`Inputs::set`].
    pub fn inputs(&self, party: Party) -> Inputs {
        Inputs::new(self.clone(), party)
    }

    /// Splits an input provider's `value` for `slot` of a `shared` input
    /// (the whole input, `"grades"`, or one element, `"grades[7]"`) into
    /// two XOR shares, one file for each server: what `yao share` writes
    /// (see [`crate::share`]). Each server then reads its files with
    /// [`Inputs::set_shares`].
    pub fn share(
        &self,
        slot: &str,
        value: impl IntoValue,
        provider: &str,
    ) -> Result<[ShareFile; 2], Error> {
        let slot = Slot::parse(slot)?;
        Ok(crate::share::split(self.ir(), &slot, value, provider)?)
    }

    /// Evaluates the circuit in the clear, with no cryptography: the
    /// reference every two-party run must agree with, for tests.
    pub fn eval_plain(&self, garbler: &Inputs, evaluator: &Inputs) -> Result<Outputs, Error> {
        let bits = Inputs::merge(self, garbler, evaluator)?;
        let out = self
            .0
            .eval_plain(&bits)
            .unwrap_or_else(|e| unreachable!("complete inputs of a valid circuit: {e}"));
        Ok(Outputs::new(self.clone(), out))
    }

    /// The gate-level circuit: names, types and wires of the input and
    /// output groups, the gates, [`ir::Circuit::stats`] and
    /// [`ir::Circuit::id`].
    pub fn ir(&self) -> &ir::Circuit {
        &self.0
    }

    /// The circuit with its id ([`ir::Circuit::id`]), for a session's
    /// setup: the id hashes every gate, so it is computed once per circuit
    /// (its clones share it), or taken from the compiled file it was loaded
    /// from, where it was checked against the gates.
    pub fn identified(&self) -> ir::Identified<'_> {
        let id = *self.1.get_or_init(|| self.0.id());
        ir::Identified::trusted(&self.0, id)
    }

    /// `circuit` with its id, checked against its gates by the loader.
    fn with_checked_id(circuit: ValidCircuit, id: Option<ir::CircuitId>) -> Circuit {
        let c = Circuit::from(circuit);
        if let Some(id) = id {
            let _ = c.1.set(id);
        }
        c
    }

    /// A circuit of input groups only, not checked: the header of a
    /// circuit streamed from its file, against which a party checks its
    /// values before the long scan (see [`crate::streamed`]).
    pub(crate) fn groups_only(inputs: Vec<ir::Input>) -> Circuit {
        Circuit(
            Arc::new(ir::Circuit {
                name: String::new(),
                num_wires: 0,
                inputs,
                outputs: Vec::new(),
                gates: Vec::new(),
            }),
            Arc::default(),
        )
    }

    /// The same circuit: one handle cloned, or two equal circuits.
    pub(crate) fn same(&self, other: &Circuit) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || self.0 == other.0
    }
}

impl From<ValidCircuit> for Circuit {
    fn from(c: ValidCircuit) -> Circuit {
        Circuit(Arc::new(c.into_inner()), Arc::default())
    }
}

/// A circuit built by other means (the IR's builder, a deserialized file),
/// checked with [`ir::Circuit::validate`].
impl TryFrom<ir::Circuit> for Circuit {
    type Error = Error;

    fn try_from(c: ir::Circuit) -> Result<Circuit, Error> {
        ValidCircuit::new(c)
            .map(Circuit::from)
            .map_err(Error::Invalid)
    }
}

/// A circuit the compiler returned: already validated (lowering and the
/// optimizer each check it), so not walked a third time; debug builds
/// check again.
fn compiled(c: ir::Circuit) -> ValidCircuit {
    ValidCircuit::trusted(c)
}

/// Files larger than this are refused before they are read: the largest
/// published circuit is a few MB, and a mistaken path to a disk image should
/// not exhaust memory.
pub const MAX_FILE_BYTES: u64 = 1 << 30;

/// [`read_file_identified`] for the command line: the warnings of a `.yao` source
/// (unused variables, parameters, inputs) are printed on standard error,
/// laid out like errors; they do not stop it.
pub(crate) fn read_file_reporting(
    path: &Path,
    options: &bristol::Options,
) -> Result<ValidCircuit, Error> {
    Ok(read_file_identified(path, options, true)?.0)
}

/// Prints a source's warnings on standard error, laid out like errors.
fn report(warnings: &yao_compiler::lang::Diagnostics) {
    if !warnings.is_empty() {
        let color = std::io::IsTerminal::is_terminal(&std::io::stderr());
        let text = warnings.render(color);
        let _ = std::io::Write::write_all(&mut std::io::stderr(), text.as_bytes());
    }
}

/// Compiles the `.yao` source at `path` into a compiled circuit file at
/// `out` (what `yao compile --emit compiled` writes), streaming the gates
/// to the file as the compiler makes them: the circuit is never held in
/// memory as a gate list. Warnings are printed as
/// [`read_file_reporting`] prints them. On an error, a file already at
/// `out` is left as it was. Returns the circuit id.
pub(crate) fn compile_source_to_file(path: &Path, out: &Path) -> Result<ir::CircuitId, Error> {
    // The same refusals, with the same messages, as every other way of
    // opening a circuit file.
    check_size(path)?;
    let writer = yao_compiler::compiled::FileWriter::new(out);
    let streamed = yao_compiler::lang::compile_file_into(path, Default::default(), writer)
        .map_err(Error::Compile)?;
    report(&streamed.warnings);
    streamed
        .gates
        .finish(&streamed.interface)
        .map_err(|error| Error::File {
            action: "write",
            path: out.to_path_buf(),
            error,
        })
}

/// [`read_file_reporting`] as the library's handle, with the id a compiled
/// file stores (checked as it was loaded), so that no session hashes the
/// circuit again.
pub(crate) fn open_reporting(path: &Path, options: &bristol::Options) -> Result<Circuit, Error> {
    read_file_identified(path, options, true).map(|(c, id)| Circuit::with_checked_id(c, id))
}

/// The id stored in a compiled circuit file, which `compiled::from_bytes`
/// checks against the gates it reads: the 32 bytes after the magic (the
/// format of `yao_compiler::compiled`; a test checks it against
/// [`ir::Circuit::id`]).
fn stored_id(bytes: &[u8]) -> Option<ir::CircuitId> {
    let at = yao_compiler::compiled::MAGIC.len();
    let id = bytes.get(at..at + 32)?;
    Some(ir::CircuitId(id.try_into().ok()?))
}

/// The metadata of the circuit file at `path`, or why it cannot be used:
/// it cannot be opened, or it is larger than [`MAX_FILE_BYTES`].
fn check_size(path: &Path) -> Result<std::fs::Metadata, Error> {
    let meta = std::fs::metadata(path).map_err(|error| Error::File {
        action: "open",
        path: path.to_path_buf(),
        error,
    })?;
    if meta.len() > MAX_FILE_BYTES {
        return Err(Error::TooLarge {
            path: path.to_path_buf(),
            max: MAX_FILE_BYTES,
        });
    }
    Ok(meta)
}

/// Compiles (`.yao`), loads (a compiled circuit, told by its first bytes)
/// or imports (anything else, as Bristol) the circuit file at `path`, with
/// its id if it is a compiled circuit (whose loading checked the id it
/// stores). The command line loads its files through this too.
fn read_file_identified(
    path: &Path,
    options: &bristol::Options,
    report_warnings: bool,
) -> Result<(ValidCircuit, Option<ir::CircuitId>), Error> {
    let io = |action, error| Error::File {
        action,
        path: path.to_path_buf(),
        error,
    };
    let meta = check_size(path)?;
    let too_large = || Error::TooLarge {
        path: path.to_path_buf(),
        max: MAX_FILE_BYTES,
    };
    if path.extension().is_some_and(|e| e == "yao") {
        if report_warnings {
            let checked = yao_compiler::lang::compile_file_checked(path, Default::default())
                .map_err(Error::Compile)?;
            report(&checked.warnings);
            return Ok((compiled(checked.circuit), None));
        }
        let c = yao_compiler::lang::compile_file(path).map_err(Error::Compile)?;
        return Ok((compiled(c), None));
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
        .map_err(|e| io("read", e))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(too_large());
    }
    if yao_compiler::compiled::is_compiled(&bytes) {
        let circuit =
            yao_compiler::compiled::from_bytes(&bytes).map_err(|error| Error::Compiled {
                path: path.to_path_buf(),
                error,
            })?;
        return Ok((circuit, stored_id(&bytes)));
    }
    let text = String::from_utf8(bytes).map_err(|e| Error::NotUtf8 {
        path: path.to_path_buf(),
        offset: e.utf8_error().valid_up_to(),
    })?;
    let name = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let circuit = bristol::parse_valid(&name, &text, options).map_err(|error| Error::Bristol {
        name: path.display().to_string(),
        error,
    })?;
    Ok((circuit, None))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SOURCE: &str =
        "circuit max(garbler a: u32, evaluator b: u32) -> u32 { if a > b { a } else { b } }";

    /// A compiled file's stored id is the circuit's id, carried from the
    /// load to the sessions without hashing again; other circuits compute
    /// it once, on first use.
    #[test]
    fn a_compiled_file_carries_its_checked_id() {
        let dir = std::env::temp_dir().join(format!("yao-circuit-id-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let c = Circuit::compile(SOURCE).unwrap();
        let bytes = yao_compiler::compiled::to_bytes(c.ir());
        assert_eq!(stored_id(&bytes), Some(c.ir().id()));
        let path = dir.join("max.yaoc");
        std::fs::write(&path, &bytes).unwrap();
        let loaded = Circuit::load(&path).unwrap();
        // Set by the load, before any session asked for it.
        assert_eq!(loaded.1.get(), Some(&loaded.ir().id()));
        assert_eq!(loaded.identified().id(), c.ir().id());
        // A source is not hashed until a session needs its id, then once.
        let source = dir.join("max.yao");
        std::fs::write(&source, SOURCE).unwrap();
        let compiled = Circuit::load(&source).unwrap();
        assert_eq!(compiled.1.get(), None);
        let copy = compiled.clone();
        assert_eq!(compiled.identified().id(), c.ir().id());
        assert_eq!(copy.1.get(), Some(&c.ir().id()));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// A compiled file whose stored id does not match its gates is refused,
    /// so no unchecked id reaches a session.
    #[test]
    fn a_compiled_file_with_a_wrong_id_is_refused() {
        let dir = std::env::temp_dir().join(format!("yao-circuit-bad-id-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let c = Circuit::compile(SOURCE).unwrap();
        let mut bytes = yao_compiler::compiled::to_bytes(c.ir());
        bytes[yao_compiler::compiled::MAGIC.len()] ^= 1;
        let path = dir.join("bad.yaoc");
        std::fs::write(&path, &bytes).unwrap();
        assert!(matches!(Circuit::load(&path), Err(Error::Compiled { .. })));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
