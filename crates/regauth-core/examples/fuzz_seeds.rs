//! Writes the seed corpora of the fuzz targets: `cargo run -p regauth-core --example fuzz_seeds
//! -- <samples dir> <corpus dir>` reads every `.har` and `.flow` in the samples directory and
//! writes what [`regauth_core::fuzzing::seeds`] takes from each to `<corpus dir>/<target>/`,
//! one file per seed named by its SHA-256 (so reruns add nothing twice). `cargo xtask fuzz` runs it.

#![expect(clippy::print_stderr, reason = "a developer tool reporting what it wrote")]

use std::path::PathBuf;

use sha2::Digest as _;

fn main() -> std::io::Result<()> {
    let mut args = std::env::args_os().skip(1).map(PathBuf::from);
    let (Some(samples), Some(corpus)) = (args.next(), args.next()) else {
        eprintln!("usage: fuzz_seeds <samples dir> <corpus dir>");
        std::process::exit(2);
    };
    let mut entries: Vec<PathBuf> =
        std::fs::read_dir(&samples)?.flatten().map(|entry| entry.path()).collect();
    entries.sort();
    let mut n_written = 0usize;
    for path in entries {
        let name = path.file_name().and_then(|name| name.to_str()).unwrap_or_default().to_owned();
        if !(name.ends_with(".har") || name.ends_with(".flow")) {
            continue;
        }
        let bytes = std::fs::read(&path)?;
        for (target, seed) in regauth_core::fuzzing::seeds(&name, &bytes) {
            let dir = corpus.join(target);
            std::fs::create_dir_all(&dir)?;
            let file = dir.join(format!("{:x}", sha2::Sha256::digest(&seed)));
            if !file.exists() {
                std::fs::write(file, &seed)?;
                n_written += 1;
            }
        }
    }
    eprintln!("fuzz_seeds: {n_written} new seed files under {}", corpus.display());
    Ok(())
}
