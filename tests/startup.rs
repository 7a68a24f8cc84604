//! What every start of sigwatch loads: on GNU/Linux, build.rs links GCC's unwinder statically,
//! so the loader does not map `libgcc_s.so.1` (and run its `cpuid`-asking constructor) at
//! every start; panics must still unwind and be caught, and backtraces still be taken.

#![cfg(all(target_os = "linux", target_env = "gnu"))]

use std::path::Path;
use std::process::Command;

/// Where the C compiler finds `libgcc_eh.a`, as build.rs asks; `None` where it has none, or
/// where build.rs is told or bound to leave the shared `libgcc_s` in place (then these tests
/// check nothing about it).
fn static_unwinder() -> Option<String> {
    if cfg!(target_feature = "crt-static") || std::env::var_os("SIGWATCH_SHARED_LIBGCC").is_some() {
        return None;
    }
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".to_string());
    let out = Command::new(cc)
        .arg("-print-file-name=libgcc_eh.a")
        .output()
        .ok()?;
    let path = String::from_utf8_lossy(&out.stdout).trim().to_string();
    Path::new(&path).is_file().then_some(path)
}

#[test]
fn the_loader_does_not_load_libgcc_s_for_sigwatch() {
    let Some(archive) = static_unwinder() else {
        eprintln!("no libgcc_eh.a on this machine: the shared libgcc_s is used, nothing to check");
        return;
    };
    // glibc's loader names every library it looks for under LD_DEBUG=libs.
    let out = Command::new(env!("CARGO_BIN_EXE_sigwatch"))
        .arg("--version")
        .env("LD_DEBUG", "libs")
        .env_remove("LD_DEBUG_OUTPUT")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(
        log.contains("find library=libc.so.6"),
        "the loader's log names the libraries it loads:\n{log}"
    );
    assert!(
        !log.contains("libgcc_s"),
        "sigwatch still loads libgcc_s though {archive} exists (see build.rs):\n{log}"
    );
}

#[test]
fn panics_unwind_and_backtraces_are_taken_with_the_linked_unwinder() {
    // Link the library (and with it, build.rs's unwinder) into this test binary.
    let cli = <sigwatch::cli::Cli as clap::CommandFactory>::command();
    assert_eq!(cli.get_name(), "sigwatch");
    if static_unwinder().is_some() {
        let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
        assert!(
            !maps.contains("libgcc_s"),
            "this process mapped libgcc_s:\n{maps}"
        );
    }
    let quiet = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let caught = std::panic::catch_unwind(|| {
        let v: Vec<u8> = Vec::new();
        v[usize::from(v.is_empty())]
    });
    std::panic::set_hook(quiet);
    assert!(caught.is_err(), "the panic unwound to catch_unwind");
    let trace = std::backtrace::Backtrace::force_capture();
    assert_eq!(trace.status(), std::backtrace::BacktraceStatus::Captured);
    assert!(
        trace.to_string().contains("panics_unwind_and_backtraces"),
        "the backtrace walks back to this test:\n{trace}"
    );
}
