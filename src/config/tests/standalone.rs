//! `src/config` compiles on its own: the fuzz crate (`fuzz/src/lib.rs`) includes these
//! files by `#[path]` with only a stand-in for `crate::liveness`, and builds only under
//! nightly in CI, so a reach into the rest of the kiosk would first show up there.

use std::path::Path;

/// What the fuzz crate's root supplies besides `crate::config` itself.
const SUPPLIED: [&str; 3] = [
    "crate::config",
    "crate::liveness::LivenessParams",
    "crate::liveness::ParamError",
];

#[test]
fn the_configuration_uses_nothing_of_the_kiosk_the_fuzz_crate_lacks() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/config");
    let mut reaches = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or_default();
            for (at, _) in code.match_indices("crate::") {
                let rest = &code[at..];
                if !SUPPLIED.iter().any(|s| rest.starts_with(s)) {
                    reaches.push(format!("{}:{}: {}", path.display(), n + 1, line.trim()));
                }
            }
        }
    }
    assert!(reaches.is_empty(), "src/config reaches outside itself (move the code to its user, or add the module to fuzz/src/lib.rs):\n{}", reaches.join("\n"));
}
