fn main() {
    println!("pipette");
}
