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

/// Messages and stubs of `proto/feed/v1/feed.proto` (package `feed.v1`): chapter 12's second
/// service, which calls `UserService`.
pub mod feed {
    pub mod v1 {
        tonic::include_proto!("feed.v1");
    }
}

/// The encoded `FileDescriptorSet` of the `user` protos, for server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = tonic::include_file_descriptor_set!("workbook_descriptor");

/// The encoded `FileDescriptorSet` of the `feed.v1` proto, for the feed server's reflection.
pub const FEED_FILE_DESCRIPTOR_SET: &[u8] = tonic::include_file_descriptor_set!("feed_descriptor");
