//! `cargo run -p xtask -- docs OUT`: writes the man pages and shell completions of `rill`,
//! generated from its CLI definition ([`rill::cli::Cli`]), for the Debian package
//! (`scripts/deb`) or any other packaging:
//!
//! - `OUT/man/rill.1` and one page per subcommand (`rill-serve.1`, `rill-service-enable.1`,
//!   ...), with clap_mangen;
//! - `OUT/completions/rill.bash`, `_rill` (zsh) and `rill.fish`, with clap_complete.
//!
//! The generators live here, not in the `rill` binary, so the program people run carries no
//! packaging code.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::CommandFactory;
use clap_complete::Shell;

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [task, out] if task == "docs" => {
            let written = docs(Path::new(out))?;
            for path in written {
                println!("{}", path.display());
            }
            Ok(())
        }
        _ => bail!("usage: cargo run -p xtask -- docs OUT_DIR"),
    }
}

/// Writes the man pages into `out/man` and the completions into `out/completions`; returns
/// the files written.
fn docs(out: &Path) -> Result<Vec<PathBuf>> {
    let mut written = man_pages(&out.join("man"))?;
    written.extend(completions(&out.join("completions"))?);
    Ok(written)
}

/// `rill.1` and a page for every subcommand, nested ones included.
fn man_pages(dir: &Path) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    // `rill help serve` is `rill serve --help`: no pages for the `help` subcommands.
    let mut cmd = without_help(rill::cli::Cli::command());
    cmd.build();
    let mut written = Vec::new();
    page(&cmd, "rill", dir, &mut written)?;
    Ok(written)
}

/// `cmd` and its subcommands without their `help` subcommand.
fn without_help(cmd: clap::Command) -> clap::Command {
    cmd.disable_help_subcommand(true).mut_subcommands(without_help)
}

/// Writes the page of `cmd` as `name.1`, then those of its subcommands as `name-sub.1`.
fn page(cmd: &clap::Command, name: &str, dir: &Path, written: &mut Vec<PathBuf>) -> Result<()> {
    let path = dir.join(format!("{name}.1"));
    let mut bytes = Vec::new();
    // The page's title is the dashed name; `man rill-serve` finds it.
    let man = clap_mangen::Man::new(cmd.clone())
        .title(name)
        .date(date())
        .source(format!("rill {}", env!("CARGO_PKG_VERSION")))
        .manual("User Commands");
    man.render_title(&mut bytes)?;
    man.render_name_section(&mut bytes)?;
    man.render_synopsis_section(&mut bytes)?;
    man.render_description_section(&mut bytes)?;
    man.render_options_section(&mut bytes)?;
    if cmd.has_subcommands() {
        man.render_subcommands_section(&mut bytes)?;
    }
    if let Some(text) = cmd.get_after_help() {
        bytes.extend_from_slice(examples(&text.to_string()).as_bytes());
    }
    std::fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))?;
    written.push(path);
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        page(sub, &format!("{name}-{}", sub.get_name()), dir, written)?;
    }
    Ok(())
}

/// The pages' date, `YYYY-MM-DD`: `SOURCE_DATE_EPOCH` (reproducible builds; `scripts/deb` sets
/// it to the last commit's time) or now.
fn date() -> String {
    let secs = std::env::var("SOURCE_DATE_EPOCH").ok().and_then(|s| s.parse::<u64>().ok());
    let secs = secs.unwrap_or_else(|| {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
        now.map(|d| d.as_secs()).unwrap_or_default()
    });
    let (y, m, d) = civil(secs / 86_400);
    format!("{y:04}-{m:02}-{d:02}")
}

/// The proleptic Gregorian date of a day counted from 1970-01-01 (Howard Hinnant's
/// `civil_from_days`, for days on or after the epoch).
fn civil(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + u64::from(m <= 2);
    (y, m, d)
}

/// The `after_help` text (examples with aligned comments, then notes) as an EXAMPLES section,
/// unfilled so its columns stay as written.
fn examples(text: &str) -> String {
    let mut out = String::from(".SH EXAMPLES\n.nf\n");
    for line in text.lines().filter(|l| *l != "Examples:") {
        let line = line.replace('\\', "\\e").replace('-', "\\-");
        // A leading `.` or `'` would be read as a request.
        if line.starts_with(['.', '\'']) {
            out.push_str("\\&");
        }
        out.push_str(&line);
        out.push('\n');
    }
    out.push_str(".fi\n");
    out
}

/// The bash, zsh and fish completions.
fn completions(dir: &Path) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut cmd = rill::cli::Cli::command();
    [Shell::Bash, Shell::Zsh, Shell::Fish]
        .into_iter()
        .map(|shell| {
            clap_complete::generate_to(shell, &mut cmd, "rill", dir)
                .with_context(|| format!("writing the {shell} completion"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    /// Every subcommand of the CLI definition, nested ones included, as `parent sub` paths.
    fn subcommands(cmd: &clap::Command, prefix: &str, out: &mut Vec<String>) {
        for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set() && s.get_name() != "help") {
            let path = format!("{prefix} {}", sub.get_name()).trim().to_string();
            out.push(path.clone());
            subcommands(sub, &path, out);
        }
    }

    #[test]
    fn the_man_pages_mention_every_subcommand_and_format_cleanly() {
        let dir = tempfile::tempdir().unwrap();
        let written = docs(dir.path()).unwrap();
        let mut all = Vec::new();
        let mut cmd = rill::cli::Cli::command();
        cmd.build();
        subcommands(&cmd, "", &mut all);
        assert!(all.iter().any(|s| s == "serve") && all.iter().any(|s| s == "service enable"));
        // No page for `help`, and no page names one.
        assert!(!written.iter().any(|p| p.file_name().unwrap().to_string_lossy().contains("help")));
        for page in &written {
            let text = std::fs::read_to_string(page).unwrap();
            assert!(!text.contains("help(1)"), "{page:?}");
        }
        let main = std::fs::read_to_string(dir.path().join("man/rill.1")).unwrap();
        for path in &all {
            let words: Vec<&str> = path.split(' ').collect();
            let (last, parents) = words.split_last().unwrap();
            // Each subcommand is listed in its parent's page and has a page of its own.
            let parent = if parents.is_empty() {
                main.clone()
            } else {
                let page = format!("man/rill-{}.1", parents.join("-"));
                std::fs::read_to_string(dir.path().join(page)).unwrap()
            };
            assert!(parent.contains(last), "{path} not in its parent's page");
            let own = dir.path().join(format!("man/rill-{}.1", words.join("-")));
            assert!(written.contains(&own), "no page for {path}");
            let text = std::fs::read_to_string(&own).unwrap();
            assert!(text.contains(&format!(".TH rill-{}", words.join("-"))), "{text}");
        }
        // groff formats every page without a warning.
        for page in written.iter().filter(|p| p.extension().is_some_and(|e| e == "1")) {
            let out = Command::new("groff")
                .args(["-man", "-Tutf8", "-ww", "-z"])
                .arg(page)
                .output()
                .expect("groff is needed");
            assert!(out.status.success() && out.stderr.is_empty(), "{page:?}: {out:?}");
        }
    }

    #[test]
    fn civil_dates() {
        assert_eq!(civil(0), (1970, 1, 1));
        assert_eq!(civil(59), (1970, 3, 1));
        assert_eq!(civil(11_016), (2000, 2, 29));
        assert_eq!(civil(20_793), (2026, 12, 6));
    }

    #[test]
    fn the_completions_cover_the_subcommands() {
        let dir = tempfile::tempdir().unwrap();
        docs(dir.path()).unwrap();
        let completions = dir.path().join("completions");
        for file in ["rill.bash", "_rill", "rill.fish"] {
            let text = std::fs::read_to_string(completions.join(file)).unwrap();
            for word in ["serve", "decode", "service", "enable", "interface"] {
                assert!(text.contains(word), "{word} not in {file}");
            }
        }
        let bash = Command::new("bash").arg("-n").arg(completions.join("rill.bash")).output();
        let bash = bash.expect("bash is needed");
        assert!(bash.status.success(), "{bash:?}");
    }
}
