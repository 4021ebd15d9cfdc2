//! The `qiao` command: runs the server and the operator commands.

fn main() -> std::process::ExitCode {
    qiao_api::cli::main()
}
