//! Files a scenario names (its cluster fixture, `apply: {file: …}` manifests): confined to the
//! scenario's tree, and never echoed. A scenario from elsewhere (a pull request, a download)
//! must not be able to read `/etc/passwd` or `~/.aws/credentials` and print it in its report.
//!
//! The tree is the scenario's own folder and, when the scenario lies inside the working
//! directory (a project's `lbsim run scenarios/`), the working directory too — so
//! `../fixtures/clusters/x.yaml` works in a repository, while absolute paths and paths that
//! leave both (`../../etc/passwd`, a symlink pointing out) are refused. Errors about a file's
//! content keep line and column and the names of unknown keys, never its values: serde quotes
//! the offending value (`invalid type: string "root:x:0:0…"`), which is cut out.

use std::path::{Component, Path, PathBuf};

/// The folders a scenario in `dir` may read from.
fn roots(dir: &Path) -> Vec<PathBuf> {
    let dir = if dir.as_os_str().is_empty() { Path::new(".") } else { dir };
    let mut out = Vec::new();
    if let Ok(d) = dir.canonicalize() {
        out.push(d);
    }
    if let Ok(cwd) = std::env::current_dir().and_then(|c| c.canonicalize())
        && out.first().is_some_and(|d| d.starts_with(&cwd))
    {
        out.push(cwd);
    }
    out
}

/// `rel` resolved against the scenario's folder (then the working directory), refused when it
/// is absolute or ends up outside the scenario's tree. `what` names it in errors.
pub fn confined(dir: &Path, rel: &str, what: &str) -> Result<PathBuf, String> {
    let p = Path::new(rel);
    if p.is_absolute() || p.components().any(|c| matches!(c, Component::Prefix(_) | Component::RootDir)) {
        return Err(format!("{what} '{rel}': absolute paths are not allowed; name a file inside the scenario's folder"));
    }
    let roots = roots(dir);
    let base = if dir.as_os_str().is_empty() { Path::new(".") } else { dir };
    let mut candidates = vec![base.join(p)];
    if let Some(cwd) = roots.get(1) {
        candidates.push(cwd.join(p));
    }
    let looked: Vec<String> =
        candidates.iter().map(|c| std::path::absolute(c).unwrap_or_else(|_| c.clone()).display().to_string()).collect();
    let mut outside = false;
    for c in candidates {
        let Ok(real) = c.canonicalize() else { continue };
        if !roots.iter().any(|r| real.starts_with(r)) {
            outside = true;
            continue;
        }
        if real.is_file() {
            return Ok(real);
        }
    }
    if outside {
        Err(format!("{what} '{rel}' is outside the scenario's tree (its folder, or the working directory it lies in)"))
    } else {
        Err(format!("{what} '{rel}' not found: no file {}", looked.join(" nor ")))
    }
}

/// Reads a confined file.
pub fn read(dir: &Path, rel: &str, what: &str) -> Result<(PathBuf, String), String> {
    let path = confined(dir, rel, what)?;
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{what} '{rel}': {}", e.kind()))?;
    Ok((path, text))
}

/// A parse error about a file's content with the quoted values taken out: `"…"` for every
/// double-quoted part, and backquoted parts kept only when they look like a key name.
pub fn redact(msg: &str) -> String {
    let mut out = String::with_capacity(msg.len().min(512));
    let mut rest = msg;
    while let Some(i) = rest.find(['"', '`']) {
        out.push_str(&rest[..i]);
        let q = rest.as_bytes()[i] as char;
        let after = &rest[i + 1..];
        let Some(j) = after.find(q) else {
            // An unterminated quote: drop everything after it.
            out.push_str(&format!("{q}…"));
            return out;
        };
        let inner = &after[..j];
        let name_like = inner.len() <= 40 && inner.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.');
        if q == '`' && name_like {
            out.push_str(&format!("`{inner}`"));
        } else {
            out.push_str(&format!("{q}…{q}"));
        }
        rest = &after[j + 1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_cut_out_names_kept() {
        assert_eq!(
            redact("invalid type: string \"root:x:0:0:root:/root:/bin/bash\", expected struct Fixture at line 1 column 1"),
            "invalid type: string \"…\", expected struct Fixture at line 1 column 1"
        );
        assert_eq!(
            redact("unknown field `nod_groups`, expected one of `name`, `region`"),
            "unknown field `nod_groups`, expected one of `name`, `region`"
        );
        assert_eq!(redact("unknown field `aws_secret_access_key = abc/def+ghi`"), "unknown field `…`");
        assert_eq!(redact("bad \"unterminated"), "bad \"…");
    }

    #[test]
    fn paths_stay_in_the_tree() {
        let root = std::env::temp_dir().join(format!("lbsim-files-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let dir = root.join("scenarios");
        std::fs::create_dir_all(dir.join("clusters")).unwrap();
        std::fs::write(dir.join("clusters/a.yaml"), "x").unwrap();
        std::fs::write(root.join("secret"), "s3cret").unwrap();
        assert!(confined(&dir, "clusters/a.yaml", "cluster fixture").is_ok());
        assert!(confined(&dir, "clusters/../clusters/a.yaml", "cluster fixture").is_ok());
        let e = confined(&dir, "../secret", "cluster fixture").unwrap_err();
        assert!(e.contains("outside the scenario's tree") && !e.contains("s3cret"), "{e}");
        assert!(confined(&dir, "/etc/passwd", "cluster fixture").unwrap_err().contains("absolute"));
        assert!(confined(&dir, "clusters/none.yaml", "cluster fixture").unwrap_err().contains("not found"));
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(root.join("secret"), dir.join("link.yaml")).unwrap();
            assert!(confined(&dir, "link.yaml", "manifest").unwrap_err().contains("outside"));
        }
        let _ = std::fs::remove_dir_all(&root);
    }
}
