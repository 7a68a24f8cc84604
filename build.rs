//! Links GCC's unwinder (`libgcc_eh.a`) into sigwatch on GNU/Linux, so that the loader does
//! not load `libgcc_s.so.1` at every start.
//!
//! Rust's standard library needs an unwinder (panics, backtraces) and on `*-linux-gnu` asks
//! for the shared `libgcc_s`. Loading it costs every command a library mapping and its
//! relocations, and its constructor (`__cpu_indicator_init`) asks the CPU a dozen `cpuid`
//! questions — 6.7 µs each inside a VM — that nothing in sigwatch uses: 0.13 ms of a 2 ms
//! small `verify` (BENCHMARKS.md, "Start-up, second pass"). With the whole static archive
//! linked first, the linker's `--as-needed` finds every unwinder symbol already defined and
//! leaves `libgcc_s` out. This is what `gcc -static-libgcc` does; the GCC Runtime Library
//! Exception allows it for any licence.
//!
//! Only when building for the machine itself (not cross-compiling) with a C compiler that
//! knows where `libgcc_eh.a` is, and `SIGWATCH_SHARED_LIBGCC` is unset (a packager whose
//! policy wants the shared library sets it); otherwise nothing changes and `libgcc_s` is used
//! as before. The library target carries the link, so whatever links sigwatch's library (its
//! binary, its tests) gets the static unwinder too.

use std::path::Path;
use std::process::Command;

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-env-changed=CC");
    println!("cargo::rerun-if-env-changed=SIGWATCH_SHARED_LIBGCC");
    if std::env::var_os("SIGWATCH_SHARED_LIBGCC").is_some() {
        return;
    }
    let env = |k: &str| std::env::var(k).unwrap_or_default();
    if env("CARGO_CFG_TARGET_OS") != "linux"
        || env("CARGO_CFG_TARGET_ENV") != "gnu"
        || env("CARGO_CFG_TARGET_FEATURE")
            .split(',')
            .any(|f| f == "crt-static")
        || env("TARGET") != env("HOST")
    {
        return;
    }
    // The linker driver rustc uses on this target is `cc`; ask it where the archive is.
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".to_string());
    let Ok(out) = Command::new(&cc)
        .arg("-print-file-name=libgcc_eh.a")
        .output()
    else {
        return;
    };
    let path = String::from_utf8_lossy(&out.stdout).trim().to_string();
    // An unknown file comes back as its bare name.
    if !out.status.success() || !Path::new(&path).is_absolute() || !Path::new(&path).is_file() {
        return;
    }
    // A compiler upgrade moves the archive: look again then.
    println!("cargo::rerun-if-changed={path}");
    let dir = Path::new(&path)
        .parent()
        .expect("an absolute file path has a parent");
    println!("cargo::rustc-link-search=native={}", dir.display());
    println!("cargo::rustc-link-lib=static:+whole-archive,-bundle,+verbatim=libgcc_eh.a");
}
