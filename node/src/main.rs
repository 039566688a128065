//! The `yrd` binary.
fn main() -> anyhow::Result<()> {
    Ok(())
}
