//! Compiles the workbook's protos without `protoc`.
//!
//! `protox` is a protobuf compiler written in Rust: it parses the `.proto` files into a
//! `FileDescriptorSet` (the same data structure `protoc --descriptor_set_out` writes), and
//! `tonic-prost-build` turns that set into Rust messages (prost) and gRPC stubs (tonic).
//! Each encoded set is also written to `OUT_DIR` so the server can offer reflection.

use std::{env, fs, path::PathBuf};

use prost::Message;

/// The `UserService` protos, and the feed service's (chapter 12). Each set becomes its own
/// descriptor file, so a server's reflection lists only the services it serves.
const SETS: &[(&str, &[&str])] = &[
    ("workbook_descriptor", &["user.proto", "user/v2/user.proto"]),
    ("feed_descriptor", &["feed/v1/feed.proto"]),
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out_dir = PathBuf::from(env::var("OUT_DIR")?);
    for (name, protos) in SETS {
        for proto in *protos {
            println!("cargo:rerun-if-changed={proto}");
        }
        let descriptors = protox::compile(*protos, ["."])?;
        fs::write(
            out_dir.join(format!("{name}.bin")),
            descriptors.encode_to_vec(),
        )?;
        tonic_prost_build::configure()
            .build_client(true)
            .build_server(true)
            .compile_fds(descriptors)?;
    }
    Ok(())
}
