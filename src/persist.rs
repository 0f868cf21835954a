//! The state file (`lbsim serve --state-file`): loading at start and writing snapshots atomically
//! (temporary file, fsync, rename, fsync of the folder), so a crash leaves either the old or the
//! new snapshot, never a torn one. What happened after the last write is lost on `kill -9`.
//!
//! May call: `app` (the Store and the fault table), `state::snapshot`, and the filesystem.

use std::io::Write;
use std::path::Path;

use crate::app::App;
use crate::state::snapshot::{Snapshot, check_header};

/// The whole of an App as a snapshot: the Store plus the admin API's faults.
pub fn snapshot(app: &App) -> Snapshot {
    let mut s = app.store.snapshot();
    s.faults = app.faults.export();
    s
}

/// Replaces the App's state with a snapshot; nothing changes if the snapshot is refused.
pub fn restore(app: &App, s: Snapshot) -> Result<(), String> {
    check_header(&s.format, s.version)?;
    let faults = s.faults.clone();
    // Check the faults before touching the store, so a refusal leaves everything as it was.
    let probe = crate::app::faults::Faults::default();
    probe.import(&faults)?;
    app.store.restore(s)?;
    app.faults.import(&faults)
}

/// Reads a state file. `Ok(None)` when it does not exist (a first start); a corrupt file or one
/// from a newer lbsim is an error naming the file, never a silently empty world.
pub fn load(path: &Path) -> Result<Option<Snapshot>, String> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot read state file {}: {e}", path.display())),
    };
    // Check the header first, so a newer format says so instead of failing on a field.
    let head: serde_json::Value = serde_json::from_str(&text).map_err(|e| format!("state file {} is corrupt: {e}", path.display()))?;
    let format = head.get("format").and_then(|v| v.as_str()).unwrap_or("");
    let version = head.get("version").and_then(|v| v.as_u64()).unwrap_or(0) as u32;
    check_header(format, version).map_err(|e| format!("state file {}: {e}", path.display()))?;
    serde_json::from_value(head).map(Some).map_err(|e| format!("state file {} is corrupt: {e}", path.display()))
}

/// Writes a snapshot atomically.
pub fn save(path: &Path, s: &Snapshot) -> Result<(), String> {
    let bytes = serde_json::to_vec_pretty(s).map_err(|e| format!("cannot encode snapshot: {e}"))?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_else(|| "state".into());
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let write = || -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(&bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)?;
        // The rename is durable only once the folder itself is synced.
        std::fs::File::open(&dir)?.sync_all()
    };
    write().map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        format!("cannot write state file {}: {e}", path.display())
    })
}

/// Takes a snapshot of the App and writes it to the configured state file.
pub fn save_app(app: &App) -> Result<Option<std::path::PathBuf>, String> {
    let Some(path) = app.config.state_file.clone() else { return Ok(None) };
    save(&path, &snapshot(app))?;
    Ok(Some(path))
}
