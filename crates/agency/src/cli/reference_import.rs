//! `certpoint-agency reference import DIR [--json]`: a directory of reference photos,
//! embedded at import, reported file by file (`service::references::import_dir`).

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use serde_json::json;

use crate::faces::{FaceArgs, Faces};
use crate::service::matching::{Matcher, Tally};
use crate::service::references::{import_dir, DirImport, FileResult};
use crate::Storage;

pub(super) fn run(
    storage: Arc<dyn Storage>,
    face_args: &FaceArgs,
    dir: &Path,
    json: bool,
) -> anyhow::Result<ExitCode> {
    // Models first: without them nothing can be embedded, so nothing is imported.
    let faces = Faces::open(face_args)?;
    faces.load().with_context(|| {
        format!(
            "reference import embeds every photo with the face models, and they cannot be loaded; nothing was imported. Give their directory with --models (or CERTPOINT_AGENCY_MODELS), now {}",
            face_args.models.display()
        )
    })?;
    let matcher = Matcher::new(storage, Arc::new(faces));
    let report = import_dir(&matcher, dir)?;
    let shown = dir.display().to_string();
    if json {
        println!(
            "{}",
            json!({
                "dir": shown,
                "files": report.files,
                "imported": report.imported(),
                "refused": report.refused(),
            })
        );
    } else {
        print_report(&shown, &report);
    }
    Ok(if report.refused() == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn print_report(dir: &str, report: &DirImport) {
    for f in &report.files {
        match &f.result {
            FileResult::Imported {
                version,
                change,
                scored,
            } => println!(
                "{}: imported, version {version} ({change}){}",
                f.file,
                scored_text(scored)
            ),
            FileResult::Refused { reason } => println!("{}: NOT imported: {reason}", f.file),
        }
    }
    let (imported, refused) = (report.imported(), report.refused());
    if refused == 0 {
        println!("{dir}: {imported} photo(s) imported");
    } else {
        println!(
            "{dir}: {imported} photo(s) imported, {refused} file(s) NOT imported (see above; the imported ones stay imported, fix the others and import again)"
        );
    }
}

fn scored_text(t: &Tally) -> String {
    if t.total() == 0 {
        return String::new();
    }
    let mut parts = Vec::new();
    for (n, what) in [
        (t.matched, "matched"),
        (t.below_threshold, "below the threshold (for review)"),
        (t.unscored, "not scorable"),
        (t.failed, "left for a later retry"),
    ] {
        if n > 0 {
            parts.push(format!("{n} {what}"));
        }
    }
    format!(
        "; {} record(s) awaiting a match scored: {}",
        t.total(),
        parts.join(", ")
    )
}
