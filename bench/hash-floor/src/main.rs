//! Reads FILE in 256 KiB pieces and prints its SHA-512 or SHA-256 (hex) with `sha2` 0.10 or 0.11:
//! the floor a pure-Rust verifier can reach, to compare with `openssl dgst` (bench/verify.sh).
use std::io::Read;
fn main() {
    let mut args = std::env::args().skip(1);
    let which = args.next().expect("which");
    let path = args.next().expect("path");
    let mut f = std::fs::File::open(path).expect("open");
    let mut buf = vec![0u8; 256 * 1024];
    macro_rules! run {
        ($h:expr, $upd:path) => {{
            let mut h = $h;
            loop {
                let n = f.read(&mut buf).expect("read");
                if n == 0 { break; }
                $upd(&mut h, &buf[..n]);
            }
            h
        }};
    }
    match which.as_str() {
        "10-512" => { use sha2_10::Digest; let h = run!(sha2_10::Sha512::new(), sha2_10::Digest::update); println!("{:x}", h.finalize()); }
        "11-512" => { use sha2_11::Digest; let h = run!(sha2_11::Sha512::new(), sha2_11::Digest::update); let d = h.finalize(); println!("{}", d.iter().map(|b| format!("{b:02x}")).collect::<String>()); }
        "10-256" => { use sha2_10::Digest; let h = run!(sha2_10::Sha256::new(), sha2_10::Digest::update); println!("{:x}", h.finalize()); }
        "11-256" => { use sha2_11::Digest; let h = run!(sha2_11::Sha256::new(), sha2_11::Digest::update); let d = h.finalize(); println!("{}", d.iter().map(|b| format!("{b:02x}")).collect::<String>()); }
        _ => panic!("which"),
    }
}
