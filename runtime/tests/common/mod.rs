pub mod bristol;
