//! The workbook's generated gRPC code, shared by every lab, solution and reference binary.
//!
//! Generated code is compiled once here instead of in every lab, so a learner's edit only
//! recompiles their own lab crate.

/// Messages and stubs of `proto/user.proto` (protobuf package `user`).
pub mod user {
    tonic::include_proto!("user");

    /// `proto/user/v2/user.proto` (package `user.v2`): the schema-evolution lesson's next
    /// version of `User`. It shares field numbers 1 to 3 with [`User`](super::user::User).
    pub mod v2 {
        tonic::include_proto!("user.v2");
    }
}

/// The encoded `FileDescriptorSet` of every proto in this crate, for server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = tonic::include_file_descriptor_set!("workbook_descriptor");
