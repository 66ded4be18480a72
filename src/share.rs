//! Secure outsourcing: the share files of input providers.
//!
//! An input provider splits its value `x` for one slot of a `shared` input
//! (the whole input, or one element of a shared array) into two XOR shares,
//! `s_g` drawn from the operating system's random generator and
//! `s_e = x ^ s_g`, and writes one [`ShareFile`] for each server (`yao share`).
//! Each share alone is a uniformly random bit string whatever `x` is (a
//! one-time pad), so a server learns nothing about `x` unless it colludes with
//! the other server. Each server then assembles its share groups (`x.g` or
//! `x.e`, see [`yao_compiler::lang::shared`]) from a directory of share
//! files (`garbler --shares DIR`, `evaluator --shares DIR`), and every way
//! such a directory goes wrong in practice is a [`ShareError`] naming the
//! provider, the slot and the file.
//!
//! Both halves of one split carry the same random [`SplitId`], so that the
//! two servers can check, before they compute, that each slot's two shares
//! belong together ([`crate::split_check`]): halves of two different splits
//! (a stale file kept from an earlier run, a file replaced by someone else's)
//! would otherwise reconstruct a random value and go unnoticed.

#![allow(clippy::result_large_err)] // see `ShareError`

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use yao_compiler::ir::CircuitId;
use yao_compiler::lang::shared::{shared_inputs, SharedInput};
use yao_compiler::value::Value;
use yao_compiler::{Circuit, Party, ValueType};

/// The `format` field of every share file; bumped if the layout changes.
pub const FORMAT: &str = "yao-share-v2";
/// Earlier formats, refused with a message asking the provider to share
/// again: `yao-share-v1` files carry no split id.
const OLD_FORMATS: &[&str] = &["yao-share-v1"];
/// Share files larger than this are refused unread.
pub const MAX_FILE_BYTES: u64 = 16 << 20;
/// Most share files a directory may hold.
pub const MAX_FILES: usize = 1 << 20;
/// Longest provider name (it is also a file name).
pub const MAX_PROVIDER_LEN: usize = 64;

/// One server's share of one slot, as written to disk (JSON).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShareFile {
    /// Always [`FORMAT`].
    pub format: String,
    /// `Circuit::id()` in hex: a share is only valid for the circuit it was made for.
    pub circuit: String,
    /// The shared input's name in the source (`grades`).
    pub input: String,
    /// The element of a shared array, or absent for the whole input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<u32>,
    /// The split this share is half of ([`SplitId`] in hex): the same in the
    /// garbler's and the evaluator's file of one `yao share`.
    pub split: String,
    /// A label for who shared, which also names the files: any name the
    /// provider likes (a pseudonym, or a random one `yao share` picks).
    pub provider: String,
    /// The server this share is for.
    pub party: Party,
    /// The slot's type, e.g. `u8`.
    #[serde(rename = "type")]
    pub ty: String,
    /// The share, written as a value of the slot's type (integers in hex).
    pub share: String,
}

/// A slot of a shared input: the whole input or one element of an array.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Slot {
    pub input: String,
    pub index: Option<u32>,
}

impl Slot {
    /// Reads `grades` or `grades[7]`.
    pub fn parse(text: &str) -> Result<Slot, ShareError> {
        let bad = || ShareError::BadSlot {
            text: text.to_string(),
        };
        let text_t = text.trim();
        let (input, index) = match text_t.strip_suffix(']') {
            Some(rest) => {
                let (name, idx) = rest.split_once('[').ok_or_else(bad)?;
                let idx = idx.trim().parse::<u32>().map_err(|_| bad())?;
                (name.trim(), Some(idx))
            }
            None => (text_t, None),
        };
        let ident = input
            .chars()
            .next()
            .is_some_and(|c| c.is_alphabetic() || c == '_')
            && input.chars().all(|c| c.is_alphanumeric() || c == '_');
        if !ident {
            return Err(bad());
        }
        Ok(Slot {
            input: input.to_string(),
            index,
        })
    }
}

impl fmt::Display for Slot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.index {
            Some(i) => write!(f, "{}[{i}]", self.input),
            None => f.write_str(&self.input),
        }
    }
}

/// The identity of one split of one value: 16 random bytes from the
/// operating system, written in both halves. Not secret (both servers
/// compare them over the network); the shares are. Two splits of the same
/// value, or of the same slot, get different ids, so a server holding a
/// share of an earlier split, or one made by someone else, is caught before
/// the computation instead of reconstructing a random value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SplitId(pub [u8; 16]);

impl SplitId {
    /// A fresh id from the operating system's generator.
    pub fn random() -> SplitId {
        let mut bytes = [0u8; 16];
        yao_core::block::fill_random(&mut bytes);
        SplitId(bytes)
    }

    /// Reads the 32 lowercase hex digits [`SplitId`]'s `Display` writes.
    pub fn parse(text: &str) -> Option<SplitId> {
        let hex = text.as_bytes();
        if hex.len() != 32 || !hex.iter().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f')) {
            return None;
        }
        let mut bytes = [0u8; 16];
        for (k, pair) in hex.chunks(2).enumerate() {
            let pair = std::str::from_utf8(pair).ok()?;
            bytes[k] = u8::from_str_radix(pair, 16).ok()?;
        }
        Some(SplitId(bytes))
    }
}

impl fmt::Display for SplitId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

/// Where a server's share of one slot came from: the file, its provider and
/// its split. [`assemble`] gives one per element of every shared input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    /// The slot the file covers (one element, or a whole input).
    pub slot: Slot,
    pub split: SplitId,
    pub provider: String,
    pub path: PathBuf,
}

/// A server's share groups, assembled from its share files.
#[derive(Clone, Debug)]
pub struct Assembled {
    /// The bits of each share group, keyed by group index in `circuit.inputs`.
    pub groups: BTreeMap<usize, Vec<bool>>,
    /// The origin of every element of every shared input, in circuit order
    /// (inputs as [`shared_inputs`] lists them, elements first to last; an
    /// input that is not an array is one element). Elements a whole-input
    /// file covers share its origin.
    pub origins: Vec<Arc<Origin>>,
}

/// What goes wrong when sharing a value or assembling a server's shares.
/// Variants carry the file, provider and slot they name, so the type is
/// large; it is built at most once per run, on the way out.
#[derive(Debug, thiserror::Error)]
pub enum ShareError {
    #[error("`{text}` is not a slot: write the shared input's name, e.g. `grades`, or one element, e.g. `grades[7]`")]
    BadSlot { text: String },
    #[error("the circuit has no shared input `{input}`; {available}")]
    NotShared { input: String, available: String },
    #[error("`{input}` has type {ty}, not an array: share it whole (`--input {input}`)")]
    NotAnArray { input: String, ty: ValueType },
    #[error("slot {input}[{index}] is out of range: `{input}` has {len} elements (0 to {})", .len - 1)]
    IndexOutOfRange { input: String, index: u32, len: u32 },
    #[error("`{name}` is not a valid provider name: use 1 to {MAX_PROVIDER_LEN} letters, digits, `-`, `_` or `.`, not starting with `.` (it is only a label: a pseudonym will do, or leave --provider out for a random one)")]
    BadProvider { name: String },
    #[error("value for slot {slot}")]
    BadValue {
        slot: Slot,
        source: yao_compiler::value::ValueError,
    },
    #[error("`{}` already exists: provider `{provider}` has shared before; remove the file to share again", .path.display())]
    Exists { path: PathBuf, provider: String },
    #[error("cannot {action} `{}`", .path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("share file `{}` is malformed: {reason}", .path.display())]
    Malformed { path: PathBuf, reason: String },
    #[error("share file `{}` is in the old format `{found}`, which does not tie the two halves of a split together: the provider must share again with this version (`yao share`) and give each server its new file", .path.display())]
    OldFormat { path: PathBuf, found: String },
    #[error("share file `{}` from provider `{provider}` was made for another circuit (id {found}, expected {expected}); the provider must share again for this circuit", .path.display())]
    WrongCircuit {
        path: PathBuf,
        provider: String,
        found: String,
        expected: String,
    },
    #[error("share file `{}` from provider `{provider}` is the {found}'s share, not the {expected}'s: give it to the {found} (a server holding both shares learns the value)", .path.display())]
    WrongParty {
        path: PathBuf,
        provider: String,
        found: Party,
        expected: Party,
    },
    #[error("share file `{}` from provider `{provider}` is for {slot}: {reason}", .path.display())]
    WrongSlot {
        path: PathBuf,
        provider: String,
        slot: Slot,
        reason: String,
    },
    #[error("share file `{}` from provider `{provider}` holds a share of the wrong width for slot {slot} ({expected}): {reason}", .path.display())]
    WrongWidth {
        path: PathBuf,
        provider: String,
        slot: Slot,
        expected: ValueType,
        reason: String,
    },
    #[error("two shares for slot {slot}: provider `{first_provider}` (`{}`) and provider `{second_provider}` (`{}`); remove one of them", .first.display(), .second.display())]
    Duplicate {
        slot: Slot,
        first_provider: String,
        first: PathBuf,
        second_provider: String,
        second: PathBuf,
    },
    #[error("no share for slot{} {} of the {party} in `{}` ({} of {total} slots missing; {providers}); every slot needs a provider's share", if .missing.len() == 1 { "" } else { "s" }, list(.missing), .dir.display(), .missing.len())]
    Missing {
        party: Party,
        dir: PathBuf,
        missing: Vec<Slot>,
        total: usize,
        providers: String,
    },
    #[error("`{}` holds more than {MAX_FILES} share files", .dir.display())]
    TooMany { dir: PathBuf },
    #[error("the circuit has no shared inputs, so --shares has nothing to assemble (declare one with `shared`, e.g. `shared grades: [u8; 20]`)")]
    NothingShared,
}

fn list(slots: &[Slot]) -> String {
    const SHOWN: usize = 8;
    let mut names: Vec<String> = slots.iter().take(SHOWN).map(Slot::to_string).collect();
    if slots.len() > SHOWN {
        names.push(format!("and {} more", slots.len() - SHOWN));
    }
    names.join(", ")
}

/// The shared input a slot refers to, and the slot's type and first bit in
/// the share group.
fn locate(circuit: &Circuit, slot: &Slot) -> Result<(SharedInput, ValueType, usize), ShareError> {
    let shared = shared_inputs(circuit);
    let Some(input) = shared.iter().find(|s| s.name == slot.input).cloned() else {
        let names: Vec<String> = shared
            .iter()
            .map(|s| format!("`{}: {}`", s.name, s.ty))
            .collect();
        let available = if names.is_empty() {
            "it has no shared inputs (declare one with `shared`)".to_string()
        } else {
            format!("its shared inputs are {}", names.join(", "))
        };
        return Err(ShareError::NotShared {
            input: slot.input.clone(),
            available,
        });
    };
    match slot.index {
        None => {
            let ty = input.ty.clone();
            Ok((input, ty, 0))
        }
        Some(index) => {
            let ValueType::Array(elem, len) = &input.ty else {
                return Err(ShareError::NotAnArray {
                    input: input.name.clone(),
                    ty: input.ty.clone(),
                });
            };
            if index >= *len {
                return Err(ShareError::IndexOutOfRange {
                    input: input.name.clone(),
                    index,
                    len: *len,
                });
            }
            let elem = (**elem).clone();
            let offset = index as usize * elem.width() as usize;
            Ok((input, elem, offset))
        }
    }
}

fn check_provider(name: &str) -> Result<(), ShareError> {
    let ok = !name.is_empty()
        && name.len() <= MAX_PROVIDER_LEN
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(ShareError::BadProvider {
            name: name.to_string(),
        })
    }
}

/// Splits `value` for `slot` of `circuit` into the garbler's and the
/// evaluator's share files: the garbler's share is uniformly random (OS
/// randomness), the evaluator's is the value XOR the garbler's share. The
/// value is any Rust value an input takes ([`crate::IntoValue`]), or a
/// parsed [`Value`]; [`crate::Circuit::share`] is the same with the slot
/// written as text.
pub fn split(
    circuit: &Circuit,
    slot: &Slot,
    value: impl crate::IntoValue,
    provider: &str,
) -> Result<[ShareFile; 2], ShareError> {
    split_for(circuit, &circuit.id(), slot, value, provider)
}

/// [`split`] with the circuit's id already computed (it hashes the whole
/// circuit), for callers that share many values.
pub fn split_for(
    circuit: &Circuit,
    id: &CircuitId,
    slot: &Slot,
    value: impl crate::IntoValue,
    provider: &str,
) -> Result<[ShareFile; 2], ShareError> {
    check_provider(provider)?;
    let (_, ty, _) = locate(circuit, slot)?;
    let bits = value
        .into_value(&ty)
        .encode(&ty)
        .map_err(|source| ShareError::BadValue {
            slot: slot.clone(),
            source,
        })?;
    let mask = yao_core::block::random_bits(bits.len());
    let other: Vec<bool> = bits.iter().zip(&mask).map(|(&b, &m)| b ^ m).collect();
    // One id for both halves: that is what makes them a pair.
    let split = SplitId::random().to_string();
    let file = |party, share_bits: &[bool]| ShareFile {
        format: FORMAT.to_string(),
        circuit: id.to_hex(),
        input: slot.input.clone(),
        index: slot.index,
        split: split.clone(),
        provider: provider.to_string(),
        party,
        ty: ty.layout(),
        share: Value::decode(share_bits, &ty)
            .map(|v| v.to_hex_string())
            .unwrap_or_default(),
    };
    Ok([file(Party::Garbler, &mask), file(Party::Evaluator, &other)])
}

/// Where `party`'s share file of `provider` goes under `out`:
/// `out/<party>/<provider>.share`.
pub fn share_path(out: &Path, party: Party, provider: &str) -> PathBuf {
    out.join(party.name()).join(format!("{provider}.share"))
}

/// Writes both share files under `out` (creating `out/garbler` and
/// `out/evaluator`), refusing to overwrite an earlier share of the same
/// provider. Returns the paths written.
pub fn write(out: &Path, files: &[ShareFile; 2]) -> Result<[PathBuf; 2], ShareError> {
    let paths = files.clone().map(|f| share_path(out, f.party, &f.provider));
    for (path, f) in paths.iter().zip(files) {
        if path.exists() {
            return Err(ShareError::Exists {
                path: path.clone(),
                provider: f.provider.clone(),
            });
        }
    }
    for (path, f) in paths.iter().zip(files) {
        let dir = path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(|source| ShareError::Io {
            action: "create directory",
            path: dir.to_path_buf(),
            source,
        })?;
        let text = serde_json::to_string_pretty(f).unwrap_or_default() + "\n";
        create_private(path)
            .and_then(|mut file| std::io::Write::write_all(&mut file, text.as_bytes()))
            .map_err(|source| match source.kind() {
                std::io::ErrorKind::AlreadyExists => ShareError::Exists {
                    path: path.clone(),
                    provider: f.provider.clone(),
                },
                _ => ShareError::Io {
                    action: "write",
                    path: path.clone(),
                    source,
                },
            })?;
    }
    Ok(paths)
}

/// Creates a new file only its owner may read (on Unix): a share alone
/// reveals nothing, but whoever reads both of a provider's files learns its
/// value. Never overwrites.
fn create_private(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

/// Reads one share file, at most [`MAX_FILE_BYTES`] of it.
fn read(path: &Path) -> Result<Vec<u8>, ShareError> {
    let io = |action, source| ShareError::Io {
        action,
        path: path.to_path_buf(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(|e| io("open", e))?;
    if meta.len() > MAX_FILE_BYTES {
        return Err(ShareError::Malformed {
            path: path.to_path_buf(),
            reason: format!(
                "it is {} bytes, more than the {MAX_FILE_BYTES} a share file may have",
                meta.len()
            ),
        });
    }
    // Bounded even if the file grows after `metadata` or is not a plain file.
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes))
        .map_err(|e| io("read", e))?;
    Ok(bytes)
}

/// Parses and checks the bytes of the share file at `path` (named in errors)
/// for the circuit whose id is `circuit_id`.
fn parse(path: &Path, bytes: &[u8], circuit_id: &str) -> Result<ShareFile, ShareError> {
    let malformed = |reason: String| ShareError::Malformed {
        path: path.to_path_buf(),
        reason,
    };
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(malformed(format!(
            "it is more than the {MAX_FILE_BYTES} bytes a share file may have"
        )));
    }
    let json: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| malformed(e.to_string()))?;
    // The format first: an old file lacks fields, and should be told so.
    match json.get("format").and_then(serde_json::Value::as_str) {
        Some(FORMAT) => {}
        Some(old) if OLD_FORMATS.contains(&old) => {
            return Err(ShareError::OldFormat {
                path: path.to_path_buf(),
                found: old.to_string(),
            })
        }
        Some(other) => return Err(malformed(format!("format `{other}` is not `{FORMAT}`"))),
        None => return Err(malformed(format!("it has no `format` (`{FORMAT}`)"))),
    }
    let file: ShareFile = serde_json::from_value(json).map_err(|e| malformed(e.to_string()))?;
    if check_provider(&file.provider).is_err() {
        return Err(malformed(format!(
            "`{}` is not a valid provider name",
            file.provider
        )));
    }
    if SplitId::parse(&file.split).is_none() {
        return Err(malformed(format!(
            "split `{}` is not 32 lowercase hex digits",
            file.split
        )));
    }
    if file.circuit != circuit_id {
        return Err(ShareError::WrongCircuit {
            path: path.to_path_buf(),
            provider: file.provider,
            found: file.circuit,
            expected: circuit_id.to_string(),
        });
    }
    Ok(file)
}

/// The share files of a directory, sorted by name: `*.share` files only,
/// so that notes or editor backups beside them do no harm.
fn share_files(dir: &Path) -> Result<Vec<PathBuf>, ShareError> {
    let entries = std::fs::read_dir(dir).map_err(|source| ShareError::Io {
        action: "read share directory",
        path: dir.to_path_buf(),
        source,
    })?;
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|source| ShareError::Io {
            action: "read share directory",
            path: dir.to_path_buf(),
            source,
        })?;
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "share") && path.is_file() {
            if files.len() == MAX_FILES {
                return Err(ShareError::TooMany {
                    dir: dir.to_path_buf(),
                });
            }
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// The directory `party` reads: `dir/<party>` when it exists (the layout
/// `yao share --out dir` writes), otherwise `dir` itself.
pub fn party_dir(dir: &Path, party: Party) -> PathBuf {
    let sub = dir.join(party.name());
    if sub.is_dir() {
        sub
    } else {
        dir.to_path_buf()
    }
}

/// Assembles `party`'s share group of every shared input of `circuit` from
/// the share files in `dir` (or `dir/<party>`), with the origin of every
/// element. Every slot must be covered exactly once.
pub fn assemble(circuit: &Circuit, party: Party, dir: &Path) -> Result<Assembled, ShareError> {
    if shared_inputs(circuit).is_empty() {
        return Err(ShareError::NothingShared);
    }
    let dir = party_dir(dir, party);
    let files = share_files(&dir)?
        .into_iter()
        .map(|path| read(&path).map(|bytes| (path, bytes)));
    assemble_from(circuit, &circuit.id().to_hex(), party, &dir, files)
}

/// [`assemble`] from share files already listed and read: `(path, bytes)`
/// in order, or the error that reading one gave. `id` is `circuit.id()` in
/// hex (hashing a large circuit is not free, so the caller computes it
/// once); `dir` is named in errors.
pub fn assemble_from(
    circuit: &Circuit,
    id: &str,
    party: Party,
    dir: &Path,
    files: impl IntoIterator<Item = Result<(PathBuf, Vec<u8>), ShareError>>,
) -> Result<Assembled, ShareError> {
    let shared = shared_inputs(circuit);
    if shared.is_empty() {
        return Err(ShareError::NothingShared);
    }
    let dir = dir.to_path_buf();
    // Per shared input: its bits and, per element, where its share came from.
    struct Assembly {
        bits: Vec<bool>,
        owner: Vec<Option<Arc<Origin>>>,
    }
    let mut assembly: Vec<Assembly> = shared
        .iter()
        .map(|s| Assembly {
            bits: vec![false; s.ty.width() as usize],
            owner: vec![None; elements(&s.ty) as usize],
        })
        .collect();
    let mut providers = Vec::new();
    for file in files {
        let (path, bytes) = file?;
        let file = parse(&path, &bytes, id)?;
        if file.party != party {
            return Err(ShareError::WrongParty {
                path,
                provider: file.provider,
                found: file.party,
                expected: party,
            });
        }
        let slot = Slot {
            input: file.input.clone(),
            index: file.index,
        };
        let (input, ty, offset) = locate(circuit, &slot).map_err(|e| ShareError::WrongSlot {
            path: path.clone(),
            provider: file.provider.clone(),
            slot: slot.clone(),
            reason: e.to_string(),
        })?;
        let wrong_width = |reason: String| ShareError::WrongWidth {
            path: path.clone(),
            provider: file.provider.clone(),
            slot: slot.clone(),
            expected: ty.clone(),
            reason,
        };
        if file.ty != ty.layout() {
            return Err(wrong_width(format!("the file says {}", file.ty)));
        }
        let bits = Value::parse(&file.share)
            .and_then(|v| v.encode(&ty))
            .map_err(|e| wrong_width(e.to_string()))?;
        let k = shared
            .iter()
            .position(|s| s.name == input.name)
            .unwrap_or(0);
        let a = &mut assembly[k];
        let covered = match slot.index {
            Some(i) => i as usize..i as usize + 1,
            None => 0..a.owner.len(),
        };
        let origin = Arc::new(Origin {
            slot,
            // Checked by `parse`.
            split: SplitId::parse(&file.split).unwrap_or(SplitId([0; 16])),
            provider: file.provider.clone(),
            path,
        });
        for e in covered {
            if let Some(first) = &a.owner[e] {
                let element = Slot {
                    input: input.name.clone(),
                    index: matches!(input.ty, ValueType::Array(..)).then_some(e as u32),
                };
                return Err(ShareError::Duplicate {
                    slot: element,
                    first_provider: first.provider.clone(),
                    first: first.path.clone(),
                    second_provider: file.provider,
                    second: origin.path.clone(),
                });
            }
            a.owner[e] = Some(origin.clone());
        }
        a.bits[offset..offset + bits.len()].copy_from_slice(&bits);
        providers.push(file.provider);
    }
    let mut missing = Vec::new();
    let mut total = 0;
    for (s, a) in shared.iter().zip(&assembly) {
        let array = matches!(s.ty, ValueType::Array(..));
        total += a.owner.len();
        for (e, o) in a.owner.iter().enumerate() {
            if o.is_none() {
                missing.push(Slot {
                    input: s.name.clone(),
                    index: array.then_some(e as u32),
                });
            }
        }
    }
    if !missing.is_empty() {
        providers.sort();
        providers.dedup();
        let providers = match providers.len() {
            0 => "no provider has shared yet".to_string(),
            n => format!(
                "{n} provider{} shared: {}",
                if n == 1 { " has" } else { "s have" },
                list_names(&providers)
            ),
        };
        return Err(ShareError::Missing {
            party,
            dir,
            missing,
            total,
            providers,
        });
    }
    let mut groups = BTreeMap::new();
    let mut origins = Vec::with_capacity(total);
    for (s, a) in shared.iter().zip(assembly) {
        groups.insert(s.group(party), a.bits);
        origins.extend(a.owner.into_iter().flatten());
    }
    Ok(Assembled { groups, origins })
}

fn list_names(names: &[String]) -> String {
    const SHOWN: usize = 8;
    let mut shown: Vec<&str> = names.iter().take(SHOWN).map(String::as_str).collect();
    let more = format!("and {} more", names.len().saturating_sub(SHOWN));
    if names.len() > SHOWN {
        shown.push(&more);
    }
    shown.join(", ")
}

/// Number of slots an input splits into: its elements if it is an array, else one.
fn elements(ty: &ValueType) -> u32 {
    match ty {
        ValueType::Array(_, n) => *n,
        _ => 1,
    }
}

/// `party`'s inputs: shared inputs from the share files in `shares` (if
/// given), the others from `values` (`NAME=VALUE` or bare values, as for
/// [`crate::inputs::set_typed`]).
pub fn party_inputs(
    circuit: &crate::Circuit,
    party: Party,
    values: &[String],
    shares: Option<&Path>,
) -> anyhow::Result<crate::Inputs> {
    let mut inputs = circuit.inputs(party);
    if let Some(dir) = shares {
        inputs.set_shares(dir)?;
    }
    crate::inputs::set_typed(&mut inputs, values)?;
    Ok(inputs)
}

/// `yao share`: what an input provider types.
#[derive(clap::Args, Debug, Clone)]
pub struct ShareArgs {
    #[command(flatten)]
    pub circuit: crate::circuit_file::CircuitArgs,
    /// The slot to share: a shared input (`grades`) or one element of a
    /// shared array (`grades[7]`).
    #[arg(long, value_name = "SLOT")]
    pub input: String,
    /// The value, e.g. `87`, `0x57`, `(10003, 42)` or `[1, 2, 3]`.
    #[arg(long, value_name = "V", allow_hyphen_values = true)]
    pub value: String,
    /// A label for who is sharing, which names the share files (letters,
    /// digits, `-`, `_`, `.`). Only a label: a pseudonym will do. Left out,
    /// a random one is picked (`anon-` and 8 hex digits) and printed.
    #[arg(long, value_name = "NAME")]
    pub provider: Option<String>,
    /// Writes `DIR/garbler/<provider>.share` and `DIR/evaluator/<provider>.share`;
    /// hand each file to its server only.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

/// A provider label for a provider that gave none: `anon-` and 8 random hex
/// digits, so that the files name no one and two such providers do not
/// collide (one in 2^32 pairs would; `write` refuses to overwrite then).
pub fn random_provider() -> String {
    let mut bytes = [0u8; 4];
    yao_core::block::fill_random(&mut bytes);
    format!("anon-{:08x}", u32::from_le_bytes(bytes))
}

/// Runs `yao share`: loads the circuit, splits the value, writes the two
/// share files and prints their paths.
pub fn run(args: &ShareArgs) -> anyhow::Result<()> {
    let circuit = args.circuit.load()?;
    let slot = Slot::parse(&args.input)?;
    let value = Value::parse(&args.value).map_err(|source| ShareError::BadValue {
        slot: slot.clone(),
        source,
    })?;
    let provider = args.provider.clone().unwrap_or_else(random_provider);
    let files = split(&circuit, &slot, &value, &provider)?;
    let [g, e] = write(&args.out, &files)?;
    crate::say(&format!(
        "{provider} shared {slot} (split {}):\n  garbler's share:   {}\n  evaluator's share: {}\n",
        files[0].split,
        g.display(),
        e.display()
    ));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("yao-share-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    /// A circuit with shared inputs of several types next to plain inputs.
    fn circuit() -> Circuit {
        yao_compiler::lang::compile_str(
            "t.yao",
            "circuit t(garbler k: u8, shared s: i8, shared p: [(u5, bool); 3], shared b: bool,
                       evaluator m: u8) -> (x: i8, y: u5, z: bool, w: u8) {
                 (s, p[0].0 ^ p[2].0, p[1].1 ^ b, k ^ m)
             }",
        )
        .unwrap()
    }

    #[test]
    fn split_write_assemble_round_trip() {
        let c = circuit();
        let dir = scratch("round-trip");
        let cases = [
            ("s", "-100", "alice"),
            ("p[0]", "(31, false)", "bob"),
            ("p[1]", "(0, true)", "carol"),
            ("p[2]", "(17, true)", "dave"),
            ("b", "true", "erin"),
        ];
        for (slot, value, who) in cases {
            let slot = Slot::parse(slot).unwrap();
            let files = split(&c, &slot, Value::parse(value).unwrap(), who).unwrap();
            write(&dir, &files).unwrap();
        }
        let c = crate::Circuit::try_from(c).unwrap();
        let g = party_inputs(&c, Party::Garbler, &["k=7".into()], Some(&dir)).unwrap();
        let e = party_inputs(&c, Party::Evaluator, &["9".into()], Some(&dir)).unwrap();
        let out = c.eval_plain(&g, &e).unwrap();
        let shown: Vec<String> = out.values().iter().map(|(_, v)| v.to_string()).collect();
        assert_eq!(shown, ["-100", "14", "false", "14"]);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn shares_of_the_same_value_differ_and_each_is_the_slot_width() {
        let c = circuit();
        let slot = Slot::parse("s").unwrap();
        let v = Value::parse("5").unwrap();
        let splits: Vec<[ShareFile; 2]> =
            (0..4).map(|_| split(&c, &slot, &v, "x").unwrap()).collect();
        // Four equal random 8-bit shares would happen once in 2^24 runs.
        assert!(splits.iter().any(|f| f[0].share != splits[0][0].share));
        for f in splits.iter().flatten() {
            assert_eq!(f.ty, "i8");
            Value::parse(&f.share)
                .unwrap()
                .encode(&ValueType::SInt(8))
                .unwrap();
        }
    }

    #[test]
    fn both_halves_of_a_split_carry_its_id_and_every_element_its_origin() {
        let c = circuit();
        let slot = Slot::parse("p[1]").unwrap();
        let v = Value::parse("(3, true)").unwrap();
        let [g, e] = split(&c, &slot, &v, "x").unwrap();
        assert_eq!(g.split, e.split);
        assert!(SplitId::parse(&g.split).is_some());
        let [g2, _] = split(&c, &slot, &v, "x").unwrap();
        assert_ne!(g.split, g2.split, "two splits of one value share an id");
        // Every element of every shared input gets the origin of its file.
        let dir = scratch("origins");
        for (slot, value, who) in [
            ("s", "1", "a"),
            ("p[0]", "(1, true)", "b"),
            ("p[1]", "(2, true)", "c"),
            ("p[2]", "(3, true)", "d"),
            ("b", "true", "e"),
        ] {
            let files = split(
                &c,
                &Slot::parse(slot).unwrap(),
                Value::parse(value).unwrap(),
                who,
            );
            write(&dir, &files.unwrap()).unwrap();
        }
        let a = assemble(&c, Party::Evaluator, &dir).unwrap();
        let shown: Vec<String> = a.origins.iter().map(|o| o.slot.to_string()).collect();
        assert_eq!(shown, ["s", "p[0]", "p[1]", "p[2]", "b"]);
        assert!(a
            .origins
            .iter()
            .all(|o| o.path.starts_with(dir.join("evaluator"))));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn split_ids_parse_only_as_written() {
        let id = SplitId::random();
        assert_eq!(SplitId::parse(&id.to_string()), Some(id));
        for bad in [
            "",
            "00",
            &"0".repeat(31),
            &"0".repeat(33),
            &"A".repeat(32),
            &"g".repeat(32),
        ] {
            assert_eq!(SplitId::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn slots_parse_and_print() {
        for text in ["grades", "grades[7]", "g_2[0]"] {
            assert_eq!(Slot::parse(text).unwrap().to_string(), text);
        }
        assert_eq!(Slot::parse(" a [ 3 ] ").unwrap().to_string(), "a[3]");
        for bad in [
            "", "[3]", "a[", "a[x]", "a[-1]", "a[1][2]", "1a", "a.g", "a b",
        ] {
            assert!(
                matches!(Slot::parse(bad), Err(ShareError::BadSlot { .. })),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn an_element_of_a_non_array_and_a_circuit_without_shared_inputs() {
        let c = circuit();
        let e = split(
            &c,
            &Slot::parse("s[0]").unwrap(),
            Value::parse("1").unwrap(),
            "x",
        );
        assert!(matches!(e, Err(ShareError::NotAnArray { .. })));
        let plain = yao_compiler::lang::compile_str(
            "p.yao",
            "circuit p(garbler a: u8, evaluator b: u8) -> u8 { a + b }",
        )
        .unwrap();
        let dir = scratch("nothing");
        assert!(matches!(
            assemble(&plain, Party::Garbler, &dir),
            Err(ShareError::NothingShared)
        ));
    }
}
