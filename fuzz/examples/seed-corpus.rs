//! Writes every seed to `corpus/<target>/<name>`, taken from `../shared/data/webauthn-vectors`
//! by `keybound_webauthn_fuzz::seeds` (the function `tests/replay.rs` runs the targets over).
//!
//! Run it through `./seed-corpus`.

use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let seeds = match keybound_webauthn_fuzz::seeds(Path::new(keybound_webauthn_fuzz::VECTORS)) {
        Ok(seeds) => seeds,
        Err(e) => {
            eprintln!("seed-corpus: {e}");
            return ExitCode::FAILURE;
        }
    };
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    for seed in &seeds {
        let dir = corpus.join(seed.target);
        let path = dir.join(seed.name);
        if let Err(e) =
            std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(&path, &seed.bytes))
        {
            eprintln!("seed-corpus: cannot write {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
    }
    println!(
        "seed-corpus: wrote {} seeds to {}",
        seeds.len(),
        corpus.display()
    );
    ExitCode::SUCCESS
}
