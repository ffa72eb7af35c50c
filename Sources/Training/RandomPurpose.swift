/// Purposes, so streams for different jobs never coincide.
enum RandomPurpose {
    static let weights: UInt64 = 1, order: UInt64 = 2, dropout: UInt64 = 3,
               augment: UInt64 = 4, split: UInt64 = 5, kernel: UInt64 = 6
}
