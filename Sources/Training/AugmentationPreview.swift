import Tensors

extension Augmentation {
    /// What `train --augment` with this augmentation and `--seed seed` makes of training sample `sample`
    /// (C×H×W, values in [0, 1]) in each of `epochs` (counted from 0): the trainer's own random streams.
    public func copies(of image: Tensor, sample: Int = 0, epochs: Range<Int>, seed: UInt64) -> [Tensor] {
        precondition(image.rank == 3, "a C×H×W image")
        let c = image.shape[0], h = image.shape[1], w = image.shape[2]
        return epochs.map { epoch in
            var rng = RandomSource(seed: seed, RandomPurpose.augment, epoch, sample)
            var copy = Tensor(shape: image.shape)
            image.storage.withUnsafeBufferPointer { src in
                copy.storage.withUnsafeMutableBufferPointer { dst in
                    apply(src.baseAddress!, to: dst.baseAddress!, channels: c, height: h, width: w, rng: &rng)
                }
            }
            return copy
        }
    }
}
