pub mod bristol;
pub mod flip;
pub mod labels;
pub mod random;
