use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    keep_freed_heap();
    // Sequoia builds `anyhow` errors internally even while parsing good keyrings; with
    // RUST_BACKTRACE=1 inherited from a shell, each would capture a backtrace (25 % more
    // CPU in `check` over 1000 projects). Panics still honour RUST_BACKTRACE.
    if std::env::var_os("RUST_LIB_BACKTRACE").is_none() {
        // SAFETY: at the start of main, before any thread exists.
        unsafe { std::env::set_var("RUST_LIB_BACKTRACE", "0") };
    }
    // Called through a link named `sopv` (as uscan finds it on PATH), be that sopv.
    let mut args = std::env::args_os();
    let argv0 = args.next();
    if argv0
        .as_deref()
        .map(std::path::Path::new)
        .and_then(|p| p.file_name())
        == Some(std::ffi::OsStr::new("sopv"))
    {
        return sigwatch::commands::sopv::main("sopv", args.collect()).into();
    }
    let cli = match sigwatch::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => return sigwatch::commands::usage_error(err).into(),
    };
    sigwatch::commands::run(cli).into()
}

/// Tells glibc's malloc to keep up to 64 MiB of freed memory at the top of each heap, and to
/// serve requests below 4 MiB from its heaps.
///
/// `check` and `fetch` run projects on tokio's worker threads, each with its own malloc
/// arena; glibc returned each project's freed buffers to the kernel (`madvise`) and faulted
/// them in again for the next one: 12,300 page faults for 1000 projects, 4,500 with this,
/// and a fifth less CPU (BENCHMARKS.md). Setting the trim threshold switches off glibc's
/// adaptive mmap threshold, which would otherwise have risen after the first large free; the
/// explicit 4 MiB keeps 256 KiB read buffers and page bodies in the heaps, reused, instead of
/// a fresh `mmap` each. A short-lived command has no use for giving memory back early.
/// Other C libraries keep their defaults.
fn keep_freed_heap() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets allocator parameters; called before any thread exists.
    unsafe {
        libc::mallopt(libc::M_TRIM_THRESHOLD, 64 << 20);
        libc::mallopt(libc::M_MMAP_THRESHOLD, 4 << 20);
    }
}
