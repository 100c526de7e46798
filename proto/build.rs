//! Compiles `user.proto` without `protoc`.
//!
//! `protox` is a protobuf compiler written in Rust: it parses the `.proto` files into a
//! `FileDescriptorSet` (the same data structure `protoc --descriptor_set_out` writes), and
//! `tonic-prost-build` turns that set into Rust messages (prost) and gRPC stubs (tonic).
//! The encoded set is also written to `OUT_DIR` so the server can offer reflection.

use std::{env, fs, path::PathBuf};

use prost::Message;

const PROTOS: &[&str] = &["user.proto", "user/v2/user.proto"];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    for proto in PROTOS {
        println!("cargo:rerun-if-changed={proto}");
    }

    let descriptors = protox::compile(PROTOS, ["."])?;
    let out_dir = PathBuf::from(env::var("OUT_DIR")?);
    fs::write(
        out_dir.join("workbook_descriptor.bin"),
        descriptors.encode_to_vec(),
    )?;

    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .compile_fds(descriptors)?;
    Ok(())
}
