//! The state file (`lbsim serve --state-file`): loading at start and writing snapshots so that a
//! crash at any instant leaves either the old or the new snapshot, never a torn one, and a file
//! that was damaged afterwards is refused rather than half-believed.
//!
//! - One writer at a time: every save takes `WRITER`, and takes its snapshot under it, so a later
//!   write never carries an older state than an earlier one (the interval task, `POST
//!   /_lbsim/snapshot` and the save on shutdown all come through `save_app`).
//! - Each write goes to its own temporary file (`.<name>.tmp-<pid>-<n>`, created exclusively),
//!   is fsynced, renamed over the state file, and the folder fsynced. Temporary files that a
//!   crash left behind are removed at the next start (`remove_stale`).
//! - The file carries the SHA-256 of its content (`sha256`, over the compact JSON of everything
//!   else), so a flipped byte is refused; `validate` then checks what a checksum cannot: every
//!   reference resolves, ids are unique, accounts and Regions are valid.
//!
//! What happened after the last write is lost on `kill -9`.
//!
//! May call: `app` (the App, its faults), `state::snapshot`, `config`, `wire` (name checks), and
//! the filesystem.

pub mod validate;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::Mutex;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::app::App;
use crate::state::snapshot::{Snapshot, check_header};

/// Serialises writers (see the module header).
static WRITER: Mutex<()> = Mutex::new(());
/// Makes every temporary file name of this process unique.
static TEMP_SEQ: AtomicU64 = AtomicU64::new(0);

/// The field that holds the checksum.
const CHECKSUM: &str = "sha256";

/// The whole of an App as a snapshot: the Store plus the admin API's faults.
pub fn snapshot(app: &App) -> Snapshot {
    let mut s = app.store.snapshot();
    s.faults = app.faults.export();
    s
}

/// Replaces the App's state with a snapshot; nothing changes if the snapshot is refused.
pub fn restore(app: &App, s: Snapshot) -> Result<(), String> {
    check_header(&s.format, s.version)?;
    validate::check(&s, &app.config)?;
    let faults = s.faults.clone();
    // Check the faults before touching the store, so a refusal leaves everything as it was.
    let probe = crate::app::faults::Faults::default();
    probe.import(&faults)?;
    app.store.restore(s)?;
    app.readmit();
    app.faults.import(&faults)
}

/// The SHA-256 of a snapshot document without its checksum field, as lowercase hex. Computed
/// over the compact JSON of the parsed document, so it does not depend on the file's layout.
fn digest(doc: &serde_json::Map<String, Value>) -> String {
    let mut rest = doc.clone();
    rest.remove(CHECKSUM);
    let bytes = serde_json::to_vec(&rest).unwrap_or_default();
    hex::encode(Sha256::digest(&bytes))
}

/// Reads a state file. `Ok(None)` when it does not exist (a first start); a corrupt file, one
/// whose checksum does not match, or one from a newer lbsim is an error naming the file, never a
/// silently empty world. The content is checked by `restore`, not here.
pub fn load(path: &Path) -> Result<Option<Snapshot>, String> {
    let bytes = match std::fs::read(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot read state file {}: {e}", path.display())),
    };
    let corrupt = |e: &dyn std::fmt::Display| format!("state file {} is corrupt: {e}", path.display());
    // Check the header first, so a newer format says so instead of failing on a field.
    let head: Value = serde_json::from_slice(&bytes).map_err(|e| corrupt(&e))?;
    let Value::Object(doc) = head else { return Err(corrupt(&"not a JSON object")) };
    let format = doc.get("format").and_then(|v| v.as_str()).unwrap_or("");
    let version = doc.get("version").and_then(|v| v.as_u64()).unwrap_or(0) as u32;
    check_header(format, version).map_err(|e| format!("state file {}: {e}", path.display()))?;
    match doc.get(CHECKSUM) {
        Some(Value::String(sum)) => {
            if *sum != digest(&doc) {
                return Err(corrupt(
                    &"its content does not match its sha256 checksum (the file was changed or damaged after it was written)",
                ));
            }
        }
        // Version 1 files (lbsim before checksums) have none; every later one must.
        None if version <= 1 => tracing::warn!(path = %path.display(), "state file of version 1 has no checksum; read unchecked"),
        _ => return Err(corrupt(&format!("'{CHECKSUM}' is missing or not a string"))),
    }
    serde_json::from_value(Value::Object(doc)).map(Some).map_err(|e| corrupt(&e))
}

/// The folder a state file lives in and its file name.
fn parts(path: &Path) -> (PathBuf, String) {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_else(|| "state".into());
    (dir, name)
}

fn temp_prefix(name: &str) -> String {
    format!(".{name}.tmp-")
}

/// Removes temporary files that earlier runs left beside the state file (a crash between create
/// and rename). Files of another live lbsim process (Linux: its pid under /proc) are kept.
/// Returns how many were removed.
pub fn remove_stale(path: &Path) -> usize {
    let (dir, name) = parts(path);
    let prefix = temp_prefix(&name);
    let Ok(entries) = std::fs::read_dir(&dir) else { return 0 };
    let me = std::process::id().to_string();
    let mut removed = 0;
    for e in entries.flatten() {
        let file = e.file_name().to_string_lossy().to_string();
        let Some(rest) = file.strip_prefix(&prefix) else { continue };
        let pid = rest.split('-').next().unwrap_or("");
        let alive = pid != me && !pid.is_empty() && Path::new("/proc").join(pid).exists();
        if !alive && std::fs::remove_file(e.path()).is_ok() {
            removed += 1;
        }
    }
    removed
}

/// Writes a snapshot atomically (see the module header). Callers that write an App's state go
/// through `save_app`, which also serialises them.
pub fn save(path: &Path, s: &Snapshot) -> Result<(), String> {
    let Value::Object(mut doc) = serde_json::to_value(s).map_err(|e| format!("cannot encode snapshot: {e}"))? else {
        return Err("cannot encode snapshot: not an object".into());
    };
    let sum = digest(&doc);
    doc.insert(CHECKSUM.into(), Value::String(sum));
    let bytes = serde_json::to_vec_pretty(&doc).map_err(|e| format!("cannot encode snapshot: {e}"))?;
    let (dir, name) = parts(path);
    let n = TEMP_SEQ.fetch_add(1, Ordering::Relaxed);
    let tmp = dir.join(format!("{}{}-{n}", temp_prefix(&name), std::process::id()));
    let write = || -> std::io::Result<()> {
        // `create_new`: never reuse (and truncate) a file someone else is writing.
        let mut f = std::fs::OpenOptions::new().write(true).create_new(true).open(&tmp)?;
        f.write_all(&bytes)?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, path)?;
        // The rename is durable only once the folder itself is synced.
        std::fs::File::open(&dir)?.sync_all()
    };
    write().map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        format!("cannot write state file {}: {e}", path.display())
    })
}

/// Takes a snapshot of the App and writes it to the configured state file, one writer at a time.
pub fn save_app(app: &App) -> Result<Option<PathBuf>, String> {
    let Some(path) = app.config.state_file.clone() else { return Ok(None) };
    let _one_writer = WRITER.lock();
    save(&path, &snapshot(app))?;
    Ok(Some(path))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn dir(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("lbsim-persist-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn a_flipped_byte_is_refused_and_a_clean_file_loads() {
        let d = dir("flip");
        let path = d.join("state.json");
        let app = App::new(Config { seed: Some(1), ..Config::default() }).unwrap();
        app.store.with_region("000000000000", "eu-west-1", |_| ());
        save(&path, &snapshot(&app)).unwrap();
        let s = load(&path).unwrap().unwrap();
        assert_eq!(s.regions[0].region, "eu-west-1");
        // The Region's name, one letter changed: still valid JSON, still a valid Region.
        let text = std::fs::read_to_string(&path).unwrap().replace("\"eu-west-1\"", "\"eu-west-2\"");
        std::fs::write(&path, text).unwrap();
        let e = load(&path).unwrap_err();
        assert!(e.contains("does not match its sha256 checksum"), "{e}");
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn concurrent_saves_never_collide_and_leave_no_temporary_files() {
        let d = dir("race");
        let path = d.join("state.json");
        let app = App::new(Config { seed: Some(1), state_file: Some(path.clone()), ..Config::default() }).unwrap();
        app.store.with_region("000000000000", "us-east-1", |_| ());
        std::thread::scope(|s| {
            for _ in 0..8 {
                s.spawn(|| {
                    for _ in 0..5 {
                        save_app(&app).unwrap();
                    }
                });
            }
        });
        assert!(load(&path).unwrap().is_some());
        let left: Vec<_> = std::fs::read_dir(&d).unwrap().flatten().map(|e| e.file_name()).collect();
        assert_eq!(left, vec![std::ffi::OsString::from("state.json")]);
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn stale_temporary_files_are_removed_but_not_those_of_live_processes() {
        let d = dir("stale");
        let path = d.join("state.json");
        // pid 999999999 cannot exist; pid 1 always does (on Linux).
        std::fs::write(d.join(".state.json.tmp-999999999-0"), b"{").unwrap();
        std::fs::write(d.join(".other.json.tmp-999999999-0"), b"{").unwrap();
        std::fs::write(d.join(format!(".state.json.tmp-{}-7", std::process::id())), b"{").unwrap();
        let live = Path::new("/proc/1").exists();
        if live {
            std::fs::write(d.join(".state.json.tmp-1-0"), b"{").unwrap();
        }
        assert_eq!(remove_stale(&path), 2);
        assert!(d.join(".other.json.tmp-999999999-0").exists());
        assert_eq!(d.join(".state.json.tmp-1-0").exists(), live);
        let _ = std::fs::remove_dir_all(&d);
    }
}
