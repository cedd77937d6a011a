//! AFL++ entry point: `fuzz-target <name>` runs target `name` on each input AFL++ gives it
//! (`scripts/fuzz.sh` builds and runs it with `cargo afl`).

fn main() {
    let name = std::env::args().nth(1).unwrap_or_default();
    let Some(target) = zksettle_fuzz::target(&name) else {
        eprintln!(
            "usage: fuzz-target <{}>",
            zksettle_fuzz::TARGETS.map(|(n, _)| n).join("|")
        );
        std::process::exit(2);
    };
    afl::fuzz!(|data: &[u8]| target(data));
}
