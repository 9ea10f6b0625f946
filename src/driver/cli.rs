//! The command line, in `mlir-opt`'s conventions.
//!
//! Driver options are parsed with clap. Every other `-name` / `--name[=opts]`
//! is a pass, kept in command-line order: ours by the registry, anything
//! else handed to MLIR's pass registry when the pipeline is built. LLVM's
//! command-line style is accepted too: one or two dashes, `=` for values.

use super::pipeline::{parse_pipeline, resolve_flags, step_from_flag, validate, Step};
use crate::error::Result;
use crate::passes::REGISTRY;
use clap::{Arg, ArgAction, Command};

/// What one invocation asks for.
#[derive(Debug)]
pub struct Invocation {
    pub input: String,
    pub output: Option<String>,
    pub split_input_file: bool,
    pub emit_bytecode: bool,
    pub print_debuginfo: bool,
    pub print_op_generic: bool,
    pub print_local_scope: bool,
    pub elide_elements_larger_than: Option<usize>,
    pub allow_unregistered_dialect: bool,
    pub timing: bool,
    pub steps: Vec<Step>,
}

/// Result of reading the command line.
pub enum Parsed {
    Run(Box<Invocation>),
    /// `--help` or `--version`: print this and exit 0.
    Print(String),
}

/// Driver options that take a value (given as `--name=value` or `--name value`).
const VALUED: &[&str] = &["o", "pass-pipeline", "mlir-elide-elementsattrs-if-larger"];
/// Driver options that are switches.
const SWITCHES: &[&str] = &[
    "split-input-file",
    "emit-bytecode",
    "mlir-print-debuginfo",
    "mlir-print-op-generic",
    "mlir-print-local-scope",
    "allow-unregistered-dialect",
    "mlir-timing",
    "help",
    "h",
    "version",
];

fn command() -> Command {
    let mut passes_help = String::from("mcprune passes (options as one word: --component-prune=\"ratio=0.4 scope=local\"):\n");
    for spec in REGISTRY {
        passes_help.push_str(&format!("  --{:<22} {}\n", spec.name, spec.summary));
        for o in spec.options {
            passes_help.push_str(&format!(
                "      {}={:<28} {} (default: {})\n",
                o.name,
                o.values,
                o.help,
                if o.default.is_empty() { "none" } else { o.default }
            ));
        }
    }
    passes_help.push_str(
        "\nUpstream passes: every pass registered in MLIR 22 is a flag too (--canonicalize, --cse,\n\
         --tosa-to-linalg, ...; see `mlir-opt --help`), with options as one word\n\
         (--canonicalize=\"max-iterations=3\"). Passes run in command-line order.\n\
         --pass-pipeline='builtin.module(component-prune{ratio=0.4}, canonicalize)' mixes both.",
    );
    Command::new("mcprune-opt")
        .version(concat!(env!("CARGO_PKG_VERSION"), " (MLIR 22)"))
        .about("Component-aware structured pruning for MLIR models, an mlir-opt-style tool")
        .disable_help_flag(true)
        .disable_version_flag(true)
        .arg(Arg::new("input").default_value("-").help("Input file, text or bytecode ('-' for stdin)"))
        .arg(Arg::new("o").short('o').value_name("FILE").help("Output file (default: stdout)"))
        .arg(Arg::new("split-input-file").long("split-input-file").action(ArgAction::SetTrue).help(
            "Split the input on '// -----', process each piece, join outputs with the same marker",
        ))
        .arg(Arg::new("emit-bytecode").long("emit-bytecode").action(ArgAction::SetTrue).help("Write MLIR bytecode"))
        .arg(
            Arg::new("mlir-print-debuginfo")
                .long("mlir-print-debuginfo")
                .action(ArgAction::SetTrue)
                .help("Print locations"),
        )
        .arg(
            Arg::new("mlir-print-op-generic")
                .long("mlir-print-op-generic")
                .action(ArgAction::SetTrue)
                .help("Print ops in the generic form"),
        )
        .arg(
            Arg::new("mlir-print-local-scope")
                .long("mlir-print-local-scope")
                .action(ArgAction::SetTrue)
                .help("Print without aliases"),
        )
        .arg(
            Arg::new("mlir-elide-elementsattrs-if-larger")
                .long("mlir-elide-elementsattrs-if-larger")
                .value_name("N")
                .value_parser(clap::value_parser!(usize))
                .help("Elide elements attributes with more than N elements"),
        )
        .arg(
            Arg::new("allow-unregistered-dialect")
                .long("allow-unregistered-dialect")
                .action(ArgAction::SetTrue)
                .help("Accept ops of unregistered dialects"),
        )
        .arg(Arg::new("mlir-timing").long("mlir-timing").action(ArgAction::SetTrue).help("Report pass timing"))
        .arg(
            Arg::new("pass-pipeline")
                .long("pass-pipeline")
                .value_name("PIPELINE")
                .help("A textual pipeline 'builtin.module(...)' of ours and upstream passes"),
        )
        .arg(Arg::new("help").long("help").short('h').action(ArgAction::Help).help("Print help"))
        .arg(Arg::new("version").long("version").action(ArgAction::Version).help("Print version"))
        .after_help(passes_help)
}

/// Reads `args` (without the program name).
pub fn parse(args: &[String]) -> Result<Parsed, String> {
    // Separate pass flags (kept in order) from driver options (for clap).
    let mut driver_args: Vec<String> = vec!["mcprune-opt".into()];
    let mut pass_flags: Vec<(String, Option<String>)> = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let arg = &args[i];
        i += 1;
        if arg == "-" || !arg.starts_with('-') {
            driver_args.push(arg.clone());
            continue;
        }
        if arg == "--" {
            driver_args.extend(args[i..].iter().cloned());
            break;
        }
        let stripped = arg.strip_prefix("--").unwrap_or(&arg[1..]);
        let (name, value) = match stripped.split_once('=') {
            Some((n, v)) => (n, Some(v.to_string())),
            None => (stripped, None),
        };
        if VALUED.contains(&name) {
            let value = match value {
                Some(v) => v,
                None if i < args.len() => {
                    i += 1;
                    args[i - 1].clone()
                }
                None => return Err(format!("option '{arg}' needs a value")),
            };
            if name == "o" {
                driver_args.push("-o".into());
            } else {
                driver_args.push(format!("--{name}"));
            }
            driver_args.push(value);
        } else if SWITCHES.contains(&name) {
            if value.is_some() {
                return Err(format!("option '--{name}' takes no value"));
            }
            driver_args.push(if name == "h" { "--help".into() } else { format!("--{name}") });
        } else {
            pass_flags.push((name.to_string(), value));
        }
    }

    let matches = match command().try_get_matches_from(&driver_args) {
        Ok(m) => m,
        Err(e) => match e.kind() {
            clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
                return Ok(Parsed::Print(e.render().to_string()))
            }
            _ => return Err(e.render().to_string().trim().trim_start_matches("error: ").to_string()),
        },
    };

    let pipeline = matches.get_one::<String>("pass-pipeline").cloned();
    if pipeline.is_some() && !pass_flags.is_empty() {
        return Err("--pass-pipeline cannot be combined with pass flags".into());
    }
    let steps = match pipeline {
        Some(p) => parse_pipeline(&p).and_then(|steps| validate(&steps).map(|_| steps)).map_err(|e| e.to_string())?,
        None => pass_flags
            .iter()
            .map(|(n, v)| step_from_flag(n, v.as_deref()))
            .collect::<Result<Vec<_>>>()
            .and_then(resolve_flags)
            .map_err(|e| e.to_string())?,
    };

    Ok(Parsed::Run(Box::new(Invocation {
        input: matches.get_one::<String>("input").cloned().unwrap_or_else(|| "-".into()),
        output: matches.get_one::<String>("o").cloned(),
        split_input_file: matches.get_flag("split-input-file"),
        emit_bytecode: matches.get_flag("emit-bytecode"),
        print_debuginfo: matches.get_flag("mlir-print-debuginfo"),
        print_op_generic: matches.get_flag("mlir-print-op-generic"),
        print_local_scope: matches.get_flag("mlir-print-local-scope"),
        elide_elements_larger_than: matches.get_one::<usize>("mlir-elide-elementsattrs-if-larger").copied(),
        allow_unregistered_dialect: matches.get_flag("allow-unregistered-dialect"),
        timing: matches.get_flag("mlir-timing"),
        steps,
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &[&str]) -> Vec<String> {
        s.iter().map(|s| s.to_string()).collect()
    }

    fn run(s: &[&str]) -> Box<Invocation> {
        match parse(&args(s)) {
            Ok(Parsed::Run(inv)) => inv,
            Ok(Parsed::Print(p)) => panic!("unexpected print: {p}"),
            Err(e) => panic!("unexpected error: {e}"),
        }
    }

    #[test]
    fn passes_keep_command_line_order() {
        let inv = run(&["in.mlir", "--canonicalize", "-component-tag=depth=2", "--cse", "-o", "out.mlir"]);
        let steps: Vec<String> = inv.steps.iter().map(|s| format!("{s:?}")).collect();
        assert_eq!(steps, vec!["Upstream(canonicalize)", "Ours(component-tag)", "Upstream(cse)"]);
        assert_eq!(inv.input, "in.mlir");
        assert_eq!(inv.output.as_deref(), Some("out.mlir"));
    }

    #[test]
    fn upstream_options_become_braces() {
        let inv = run(&["--canonicalize=max-iterations=3 region-simplify=normal"]);
        assert_eq!(format!("{:?}", inv.steps[0]), "Upstream(canonicalize{max-iterations=3 region-simplify=normal})");
        assert_eq!(inv.input, "-");
    }

    #[test]
    fn driver_flags_in_llvm_style() {
        let inv = run(&["-split-input-file", "--mlir-elide-elementsattrs-if-larger=4", "-o=foo.mlir", "x.mlir"]);
        assert!(inv.split_input_file);
        assert_eq!(inv.elide_elements_larger_than, Some(4));
        assert_eq!(inv.output.as_deref(), Some("foo.mlir"));
    }

    #[test]
    fn bad_options_of_our_passes_fail_early() {
        let e = parse(&args(&["--component-tag=strategy=magic"])).err().unwrap();
        assert!(e.contains("'magic' is not one of auto|attr|func|loc"), "{e}");
        let e = parse(&args(&["--component-tag=colour=red"])).err().unwrap();
        assert!(e.contains("unknown option 'colour'"), "{e}");
    }

    #[test]
    fn pipeline_and_flags_do_not_mix() {
        assert!(parse(&args(&["--pass-pipeline=builtin.module(cse)", "--cse"])).is_err());
    }
}
