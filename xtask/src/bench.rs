//! `cargo xtask bench`: regauth's readers side by side with the tools people use today, on
//! generated captures, as whole processes (issue 9 item 6).
//!
//! For each size (MB, 10⁶ bytes) it writes four captures with the `bench_corpus` example
//! (HAR and mitmproxy flow, body-heavy and header-heavy; the same bytes on every run, cached
//! under `target/bench-captures/`), then times each tool loading a capture and listing its
//! entries (method, URL, status), as a whole process from a cold start with the file in the
//! page cache:
//!
//! - `regauth`: the release-built `read_capture --list` example of regauth-cli (files loaded
//!   with the CLI's own code, then `capture::read`, as the CLI);
//! - `haralyzer` (PyPI, in a venv under `~/.cache/regauth`): `HarParser.from_file`, then a
//!   `HarEntry` per entry (`xtask/bench/haralyzer_list.py`);
//! - mitmproxy's `FlowReader` (the venv `cargo xtask ci` uses): `FlowReader.stream()`
//!   (`xtask/bench/flowreader_list.py`);
//! - `jq '.log.entries|length'` (Debian `jq`).
//!
//! Each cell is the median wall-clock time of its runs (`--repeats`, fewer when a cell has
//! already taken `--cell-seconds`), and the largest peak resident set size of those runs, as
//! `/usr/bin/time` reports it (`ru_maxrss` of the child). Every tool's entry count is
//! checked against regauth's. Not part of `cargo xtask ci`: it takes minutes and the figures
//! depend on the machine; `--criterion` runs the criterion benches instead.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};
use xshell::{Shell, cmd};

use crate::{project_root, tools};

/// haralyzer's release on PyPI (July 2023, the newest).
const HARALYZER_VERSION: &str = "2.4.0";

#[derive(Clone, Copy, PartialEq)]
enum Format {
    Har,
    Flow,
}

#[derive(Clone, Copy, PartialEq)]
enum Shape {
    Body,
    Header,
}

#[derive(Clone, Copy, PartialEq)]
enum Tool {
    Regauth,
    Haralyzer,
    FlowReader,
    Jq,
}

impl Tool {
    const ALL: [Tool; 4] = [Tool::Regauth, Tool::Haralyzer, Tool::FlowReader, Tool::Jq];

    fn name(self) -> &'static str {
        match self {
            Tool::Regauth => "regauth",
            Tool::Haralyzer => "haralyzer",
            Tool::FlowReader => "mitmproxy FlowReader",
            Tool::Jq => "jq",
        }
    }

    fn key(self) -> &'static str {
        match self {
            Tool::Regauth => "regauth",
            Tool::Haralyzer => "haralyzer",
            Tool::FlowReader => "mitmproxy",
            Tool::Jq => "jq",
        }
    }

    fn reads(self, format: Format) -> bool {
        match self {
            Tool::Regauth => true,
            Tool::Haralyzer | Tool::Jq => format == Format::Har,
            Tool::FlowReader => format == Format::Flow,
        }
    }
}

struct Options {
    sizes: Vec<u64>,
    repeats: usize,
    cell_seconds: f64,
    /// Tools other than regauth run only on captures up to this size (MB).
    others_up_to: u64,
    tools: Vec<Tool>,
    formats: Vec<Format>,
    shapes: Vec<Shape>,
}

const USAGE: &str = "usage: cargo xtask bench [--sizes 10,200,1000] [--repeats N] [--cell-seconds S]
                         [--others-up-to MB] [--tools regauth,haralyzer,mitmproxy,jq]
                         [--formats har,flow] [--shapes body,header]
       cargo xtask bench --criterion [ARGS...]   (the criterion benches: cargo bench -p regauth-core)";

fn parse_options(args: &[String]) -> Result<Options> {
    let mut options = Options {
        sizes: vec![10, 200, 1000],
        repeats: 5,
        cell_seconds: 60.0,
        others_up_to: 200,
        tools: Tool::ALL.to_vec(),
        formats: vec![Format::Har, Format::Flow],
        shapes: vec![Shape::Body, Shape::Header],
    };
    let mut args = args.iter();
    while let Some(flag) = args.next() {
        let value = args.next().with_context(|| format!("{flag} needs a value\n{USAGE}"))?;
        let list = || value.split(',').map(str::trim).filter(|item| !item.is_empty());
        match flag.as_str() {
            "--sizes" => {
                options.sizes = list()
                    .map(|size| size.parse::<u64>().with_context(|| format!("--sizes: {size}")))
                    .collect::<Result<_>>()?;
            }
            "--repeats" => options.repeats = value.parse::<usize>()?.max(1),
            "--cell-seconds" => options.cell_seconds = value.parse()?,
            "--others-up-to" => options.others_up_to = value.parse()?,
            "--tools" => {
                options.tools = list()
                    .map(|name| {
                        Tool::ALL
                            .into_iter()
                            .find(|tool| tool.key() == name)
                            .with_context(|| format!("--tools: unknown tool {name}\n{USAGE}"))
                    })
                    .collect::<Result<_>>()?;
            }
            "--formats" => {
                options.formats = list()
                    .map(|name| match name {
                        "har" => Ok(Format::Har),
                        "flow" => Ok(Format::Flow),
                        _ => bail!("--formats: unknown format {name}\n{USAGE}"),
                    })
                    .collect::<Result<_>>()?;
            }
            "--shapes" => {
                options.shapes = list()
                    .map(|name| match name {
                        "body" => Ok(Shape::Body),
                        "header" => Ok(Shape::Header),
                        _ => bail!("--shapes: unknown shape {name}\n{USAGE}"),
                    })
                    .collect::<Result<_>>()?;
            }
            _ => bail!("unknown option {flag}\n{USAGE}"),
        }
    }
    Ok(options)
}

pub fn run(args: &[String]) -> Result<()> {
    let root = project_root();
    let sh = Shell::new()?;
    sh.change_dir(&root);
    if args.first().is_some_and(|arg| arg == "--criterion") {
        let rest = &args[1..];
        cmd!(sh, "cargo bench --locked -p regauth-core {rest...}").run()?;
        return Ok(());
    }
    if args.first().is_some_and(|arg| arg == "--help" || arg == "-h") {
        eprintln!("{USAGE}");
        return Ok(());
    }
    let options = parse_options(args)?;

    cmd!(sh, "cargo build --locked --release -p regauth-core --example bench_corpus").run()?;
    cmd!(sh, "cargo build --locked --release -p regauth-cli --example read_capture").run()?;
    let examples = root.join("target/release/examples");
    if !Path::new("/usr/bin/time").exists() {
        tools::apt_install(&sh, &["time"], true)?;
    }
    let uses = |tool: Tool| options.tools.contains(&tool);
    if uses(Tool::Jq) && cmd!(sh, "jq --version").quiet().ignore_stderr().read().is_err() {
        tools::apt_install(&sh, &["jq"], true)?;
    }
    let haralyzer_python =
        if uses(Tool::Haralyzer) { Some(ensure_haralyzer_venv(&sh)?) } else { None };
    let mitmproxy_python =
        if uses(Tool::FlowReader) { Some(tools::ensure_mitmproxy_venv(&sh)?) } else { None };

    let captures = root.join("target/bench-captures");
    std::fs::create_dir_all(&captures)?;
    let scripts = root.join("xtask/bench");
    let mut table = String::new();
    table.push_str(&machine_description(&sh));
    table.push_str(
        "\n| capture | size | entries | tool | median wall | MB/s (wall) | median CPU | MB/s (CPU) | peak RSS | peak / size | runs |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n",
    );
    for &size in &options.sizes {
        for &format in &options.formats {
            for &shape in &options.shapes {
                let path = ensure_capture(&examples, &captures, format, shape, size)?;
                let file_bytes = std::fs::metadata(&path)?.len();
                let mut regauth_entries = None;
                for &tool in &options.tools {
                    if !tool.reads(format) || (tool != Tool::Regauth && size > options.others_up_to)
                    {
                        continue;
                    }
                    let command: Vec<String> = match tool {
                        Tool::Regauth => vec![
                            examples.join("read_capture").display().to_string(),
                            "--list".to_owned(),
                            path.display().to_string(),
                        ],
                        Tool::Haralyzer => vec![
                            haralyzer_python
                                .as_ref()
                                .context("haralyzer venv")?
                                .display()
                                .to_string(),
                            scripts.join("haralyzer_list.py").display().to_string(),
                            path.display().to_string(),
                        ],
                        Tool::FlowReader => vec![
                            mitmproxy_python
                                .as_ref()
                                .context("mitmproxy venv")?
                                .display()
                                .to_string(),
                            scripts.join("flowreader_list.py").display().to_string(),
                            path.display().to_string(),
                        ],
                        Tool::Jq => vec![
                            "jq".to_owned(),
                            ".log.entries|length".to_owned(),
                            path.display().to_string(),
                        ],
                    };
                    let label = format!("{} {}", shape.label(), format.label());
                    eprintln!("xtask bench: {label}, {size} MB: {}", tool.name());
                    let cell = measure(&command, &captures, tool, &options)
                        .with_context(|| format!("{} on {}", tool.name(), path.display()))?;
                    if tool == Tool::Regauth {
                        regauth_entries = Some(cell.entries);
                    } else if regauth_entries.is_some_and(|entries| entries != cell.entries) {
                        bail!(
                            "{} listed {} entries of {}, regauth {regauth_entries:?}",
                            tool.name(),
                            cell.entries,
                            path.display()
                        );
                    }
                    let mb = file_bytes as f64 / 1e6;
                    let row = format!(
                        "| {label} | {mb:.0} MB | {} | {} | {:.2} s | {:.0} | {:.2} s | {:.0} | {:.0} MB | {:.2}× | {} |\n",
                        cell.entries,
                        tool.name(),
                        cell.median.as_secs_f64(),
                        mb / cell.median.as_secs_f64(),
                        cell.median_cpu.as_secs_f64(),
                        mb / cell.median_cpu.as_secs_f64().max(0.005),
                        cell.peak_kib as f64 * 1024.0 / 1e6,
                        cell.peak_kib as f64 * 1024.0 / file_bytes as f64,
                        cell.runs,
                    );
                    eprint!("{row}");
                    table.push_str(&row);
                }
            }
        }
    }
    let _ = writeln!(table, "\nLoad average at the end: {}", load_average());
    println!("{table}");
    Ok(())
}

impl Format {
    fn label(self) -> &'static str {
        match self {
            Format::Har => "HAR",
            Format::Flow => "flow",
        }
    }

    fn extension(self) -> &'static str {
        match self {
            Format::Har => "har",
            Format::Flow => "flow",
        }
    }
}

impl Shape {
    fn label(self) -> &'static str {
        match self {
            Shape::Body => "body-heavy",
            Shape::Header => "header-heavy",
        }
    }

    fn key(self) -> &'static str {
        match self {
            Shape::Body => "body",
            Shape::Header => "header",
        }
    }
}

/// The generated capture of `size` MB, written once (the generator is deterministic).
fn ensure_capture(
    examples: &Path,
    captures: &Path,
    format: Format,
    shape: Shape,
    size: u64,
) -> Result<PathBuf> {
    // The generator's version is in the name, so a capture written by an older generator
    // (v1 HARs restarted their clock every hour) is not timed by mistake.
    let path = captures.join(format!("{}-{size}MB-v2.{}", shape.key(), format.extension()));
    let complete = std::fs::metadata(&path).is_ok_and(|meta| meta.len() >= size * 1_000_000);
    if !complete {
        eprintln!("xtask bench: writing {}", path.display());
        let status = Command::new(examples.join("bench_corpus"))
            .args([format.extension(), shape.key(), &size.to_string()])
            .arg(&path)
            .status()?;
        if !status.success() {
            bail!("bench_corpus failed writing {}", path.display());
        }
    }
    Ok(path)
}

struct Cell {
    median: Duration,
    /// User plus system time: what the machine's other load inflates least.
    median_cpu: Duration,
    peak_kib: u64,
    runs: usize,
    entries: usize,
}

/// Runs `command` up to `repeats` times (fewer once the cell took `cell_seconds`), under
/// `/usr/bin/time` for the peak RSS, with its output in a file.
fn measure(command: &[String], scratch: &Path, tool: Tool, options: &Options) -> Result<Cell> {
    let output = scratch.join("output.txt");
    let rusage = scratch.join("rusage.txt");
    let mut walls = Vec::new();
    let mut cpus = Vec::new();
    let mut peak_kib = 0;
    let mut entries = 0;
    let started = Instant::now();
    while walls.len() < options.repeats
        && (walls.is_empty() || started.elapsed().as_secs_f64() < options.cell_seconds)
    {
        let out = std::fs::File::create(&output)?;
        let run_started = Instant::now();
        let status = Command::new("/usr/bin/time")
            .arg("-f")
            .arg("%M %U %S")
            .arg("-o")
            .arg(&rusage)
            .args(command)
            .stdin(Stdio::null())
            .stdout(out)
            .status()?;
        let wall = run_started.elapsed();
        if !status.success() {
            bail!("`{}` exited with {status}", command.join(" "));
        }
        walls.push(wall);
        let rss = std::fs::read_to_string(&rusage)?;
        // The last line is ours (a failing command's own messages come first).
        let fields: Vec<&str> = rss.lines().last().unwrap_or_default().split_whitespace().collect();
        let [kib, user, system] = fields.as_slice() else {
            bail!("no peak RSS and CPU time from /usr/bin/time: {rss:?}");
        };
        peak_kib = peak_kib.max(kib.parse()?);
        cpus.push(Duration::from_secs_f64(user.parse::<f64>()? + system.parse::<f64>()?));
        let listed = std::fs::read_to_string(&output)?;
        entries = match tool {
            Tool::Jq => listed.trim().parse().context("jq did not print a number")?,
            _ => listed.lines().count(),
        };
    }
    walls.sort();
    cpus.sort();
    Ok(Cell {
        median: walls[walls.len() / 2],
        median_cpu: cpus[cpus.len() / 2],
        peak_kib,
        runs: walls.len(),
        entries,
    })
}

/// A venv with haralyzer from PyPI, beside the mitmproxy one.
fn ensure_haralyzer_venv(sh: &Shell) -> Result<PathBuf> {
    let home = std::env::var("HOME").unwrap_or_else(|_| "/tmp".to_owned());
    let venv = Path::new(&home).join(format!(".cache/regauth/haralyzer-{HARALYZER_VERSION}-venv"));
    let python = venv.join("bin/python");
    let ready = cmd!(sh, "{python} -c 'import haralyzer'").quiet().ignore_stderr().run().is_ok();
    if !ready {
        eprintln!(
            "xtask: installing haralyzer {HARALYZER_VERSION} from PyPI into {}",
            venv.display()
        );
        let _ = std::fs::remove_dir_all(&venv);
        cmd!(sh, "python3 -m venv {venv}").run().context("creating the haralyzer venv")?;
        let pin = format!("haralyzer=={HARALYZER_VERSION}");
        cmd!(sh, "{python} -m pip install --quiet --disable-pip-version-check {pin}")
            .run()
            .context("installing haralyzer from PyPI")?;
    }
    Ok(python)
}

/// CPU, cores and memory, for the README next to the figures.
fn machine_description(sh: &Shell) -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|line| line.strip_prefix("model name").and_then(|rest| rest.split_once(':')))
        .map_or("unknown CPU", |(_, model)| model.trim())
        .to_owned();
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let memory_gib = meminfo
        .lines()
        .find_map(|line| line.strip_prefix("MemTotal:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kib| kib / (1024.0 * 1024.0));
    let cores = cmd!(sh, "nproc").quiet().read().unwrap_or_default();
    format!(
        "Machine: {model}, {} cores (nproc), {memory_gib:.0} GiB memory; load average at the start: {}\n",
        cores.trim(),
        load_average()
    )
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|text| text.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}
