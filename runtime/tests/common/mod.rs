pub mod bristol;
pub mod labels;
pub mod random;
