//! `test-pki DIR`: writes a throwaway CA, a server certificate for localhost, a client
//! certificate, and a foreign CA with a client certificate of its own into DIR, and prints
//! the paths. For tools in other languages (polyglot/python/tls_checks.py) and for trying
//! `user-service --tls-cert ...` by hand. The keys are fresh on every run and never belong
//! in version control.

use std::{path::PathBuf, process::ExitCode};

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    let (Some(dir), None) = (args.next(), args.next()) else {
        eprintln!("usage: test-pki DIR");
        return ExitCode::from(2);
    };
    let dir = PathBuf::from(dir);
    match lab08::TestPki::generate().write_to(&dir) {
        Ok(files) => {
            for (what, path) in [
                ("CA certificate", &files.ca_cert),
                ("server certificate", &files.server_cert),
                ("server key", &files.server_key),
                ("client certificate", &files.client_cert),
                ("client key", &files.client_key),
                ("foreign CA certificate", &files.foreign_ca_cert),
                ("foreign client certificate", &files.foreign_client_cert),
                ("foreign client key", &files.foreign_client_key),
            ] {
                println!("{what}: {}", path.display());
            }
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("test-pki: cannot write into {}: {error}", dir.display());
            ExitCode::FAILURE
        }
    }
}
