pub mod bristol;
pub mod random;
