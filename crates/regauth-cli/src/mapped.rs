//! Input files as bytes: memory-mapped when they are large regular files, read otherwise.
//!
//! Mapping spares the copy of the whole file into memory (and the page faults of that copy):
//! the core reads the page cache directly and keeps slices of it as bodies and headers.
//!
//! Shared by the CLI (`input.rs` through `progress.rs`) and the `read_capture` example that
//! `cargo xtask bench` times (`#[path]`), so both read files alike. Self-contained on purpose.

use std::fs::File;
use std::io::Read as _;
use std::path::Path;

use bytes::Bytes;

/// Smaller files are read: a mapping costs system calls and page-table work a small read
/// does not, and saves nothing worth having below a megabyte.
const MIN_MAP_BYTES: u64 = 1 << 20;

/// Set to read files instead of mapping them (`REGAUTH_NO_MMAP=1`).
const NO_MMAP_VARIABLE: &str = "REGAUTH_NO_MMAP";

/// The file's bytes: mapped when it is a large regular file, read otherwise.
pub fn read_file(path: &Path) -> std::io::Result<Bytes> {
    let file = File::open(path)?;
    if let Some(bytes) = map_file(&file) {
        return Ok(bytes);
    }
    read_whole(file)
}

/// Reads what is left of an open file, with one allocation when its size is known.
pub fn read_whole(mut file: File) -> std::io::Result<Bytes> {
    let expected = file.metadata().map(|metadata| metadata.len()).unwrap_or(0);
    let mut bytes = Vec::with_capacity(usize::try_from(expected).unwrap_or(0).saturating_add(1));
    file.read_to_end(&mut bytes)?;
    Ok(Bytes::from(bytes))
}

/// The file mapped read-only, or `None` when it is not a regular file of at least
/// [`MIN_MAP_BYTES`], mapping is switched off, or the mapping fails (the caller then reads it).
pub fn map_file(file: &File) -> Option<Bytes> {
    let metadata = file.metadata().ok()?;
    if !metadata.is_file()
        || metadata.len() < MIN_MAP_BYTES
        || std::env::var_os(NO_MMAP_VARIABLE).is_some()
    {
        return None;
    }
    // SAFETY: a mapping shows the file as it is now, so another process writing the file
    // while regauth reads it changes bytes the core already looked at, and truncating it makes
    // reads past the new end fail with SIGBUS. Why that is acceptable here (as it is for
    // ripgrep and rustc, which map the files they are given):
    // - the ways capture files usually change do not touch a mapping: a recorder appending
    //   (`mitmdump -w` still running) writes past the mapped length, which the core never
    //   sees, and tools that write a new file and rename it leave the mapped inode as it was;
    // - only pipes, sockets and devices are excluded by `is_file`, and they are read instead,
    //   as is anything under a megabyte;
    // - what remains (rewriting or truncating the same file in place during the few seconds
    //   of a run) is a race the user sets up on their own file; the core treats every byte as
    //   hostile and checks every length against the slice it was given, so changed bytes give
    //   a wrong or partial analysis of that file, and a truncation ends the process with
    //   SIGBUS rather than an error message. `REGAUTH_NO_MMAP=1` reads files instead for
    //   anyone who cannot rule that out.
    #[expect(unsafe_code, reason = "memory-mapping an input file; see the SAFETY comment")]
    let map = unsafe { memmap2::MmapOptions::new().populate().map(file) }.ok()?;
    Some(Bytes::from_owner(map))
}
