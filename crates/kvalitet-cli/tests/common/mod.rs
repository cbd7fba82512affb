//! Helpers shared by the CLI's test files.

use std::io::Read;
use std::process::{Child, Command, Stdio};

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_kvalitet");

/// Starts `kvalitet serve` on a free port of 127.0.0.1 over the database at `url`; returns
/// the child (kill it when done) and the address it listens on.
pub fn serve(url: &str) -> (Child, String) {
    let (child, addr, _) = serve_with(url, &[]);
    (child, addr)
}

/// [`serve`] with more arguments; also returns what the server said before listening.
pub fn serve_with(url: &str, args: &[&str]) -> (Child, String, String) {
    let mut child = Command::new(BIN)
        .args(["serve", "--addr", "127.0.0.1:0"])
        .args(args)
        .env("KVALITET_DATABASE_URL", url)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let mut seen = Vec::new();
    let addr = loop {
        let mut byte = [0u8; 1];
        if stderr.read(&mut byte).unwrap() == 0 {
            panic!("serve stopped: {}", String::from_utf8_lossy(&seen));
        }
        seen.push(byte[0]);
        let so_far = String::from_utf8_lossy(&seen);
        if let Some(rest) = so_far.split("http://").nth(1)
            && let Some((addr, _)) = rest.split_once('/')
        {
            break addr.to_owned();
        }
    };
    let said = String::from_utf8_lossy(&seen).into_owned();
    (child, addr, said)
}

/// Runs `kvalitet ARGS` on the database at `url`, requires success, and returns standard
/// output and all output (standard output then standard error).
#[allow(dead_code)] // not every test file uses every helper
pub fn kvalitet_ok(url: &str, args: &[&str]) -> (String, String) {
    let out = Command::new(BIN)
        .args(args)
        .env("KVALITET_DATABASE_URL", url)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let all = format!("{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "kvalitet {args:?} failed:\n{all}");
    (stdout, all)
}
