//! `lbsim plan --cluster FIXTURE MANIFESTS...`: which quota a set of Services hits first, after
//! how many more copies (or added ports, or source ranges), in legacy and in security-group
//! mode — the real reconciler stepped on the virtual clock (`crate::plan`). Prints a table;
//! `--html` also writes a page with the curves. Exit 0 when the plan ran, 2 on a usage error.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::plan::{self, Grow, Mode};
use crate::reconciler::Profile;

#[derive(clap::Args, Debug)]
pub struct PlanArgs {
    /// The cluster fixture: a file, or the name of an embedded one (`default`, `worked-example`).
    #[arg(long)]
    pub cluster: String,
    /// Service manifests (multi-document YAML); Pods and Nodes in them are applied once.
    #[arg(required = true)]
    pub manifests: Vec<PathBuf>,
    /// The controller profile (`v2.6.0` or `latest`).
    #[arg(long, default_value = "v2.6.0")]
    pub profile: String,
    /// Which modes to plan: `legacy`, `sg`, or `both`.
    #[arg(long, default_value = "both", value_parser = ["legacy", "sg", "both"])]
    pub mode: String,
    /// What each step adds.
    #[arg(long, value_enum, default_value = "copies")]
    pub grow: Grow,
    /// Give up after this many steps.
    #[arg(long, default_value_t = 100)]
    pub max_steps: u32,
    /// Also write an HTML page with the table and the curves.
    #[arg(long)]
    pub html: Option<PathBuf>,
}

pub fn run(a: PlanArgs) -> ExitCode {
    let fixture = match plan::load_fixture(&a.cluster) {
        Ok(f) => f,
        Err(e) => return super::usage(e),
    };
    let mut manifests = String::new();
    for p in &a.manifests {
        match std::fs::read_to_string(p) {
            Ok(t) => {
                manifests.push_str(&t);
                manifests.push_str("\n---\n");
            }
            Err(e) => return super::usage(format!("cannot read {}: {e}", p.display())),
        }
    }
    let profile = match serde_yaml_ng::from_str::<Profile>(&a.profile) {
        Ok(p) => p,
        Err(_) => return super::usage(format!("--profile '{}': use v2.6.0 or latest", a.profile)),
    };
    let modes: Vec<Mode> = match a.mode.as_str() {
        "legacy" => vec![Mode::Legacy],
        "sg" => vec![Mode::SecurityGroups],
        _ => vec![Mode::Legacy, Mode::SecurityGroups],
    };
    let input = plan::Input { fixture, manifests, profile, grow: a.grow, max_steps: a.max_steps.max(1) };
    let rt = match super::runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    let outcomes = match rt.block_on(plan::run(&input, &modes)) {
        Ok(o) => o,
        Err(e) => return super::usage(e),
    };
    print!("{}", plan::table(&input, &outcomes));
    if let Some(p) = a.html
        && let Err(e) = std::fs::write(&p, plan::html(&input, &outcomes))
    {
        return super::usage(format!("{}: {e}", p.display()));
    }
    ExitCode::SUCCESS
}
