import Foundation

extension SFTConfiguration {
    /// The tests' named preset (DESIGN.md, convention 4): umed-tiny at its smallest — 32-pixel
    /// phantoms (seed 5; validation seed 6), 8-pixel patches, one ViT layer and two decoder layers
    /// of width 32 — built from scratch with training seed 3. Small enough that a test can build,
    /// sample and train it in seconds.
    public static func tinyTestPreset() throws -> SFTConfiguration {
        try YAMLConfiguration.decode(SFTConfiguration.self, yaml: """
            model:
              preset: umed-tiny
              tiny: {image_size: 32, patch_size: 8, vision_hidden: 32, vision_layers: 1, vision_heads: 2,
                     text_hidden: 32, text_layers: 2, text_heads: 2, intermediate: 64}
            data:
              phantoms: {seed: 5, size: 32, validation_count: 2, validation_seed: 6}
              max_length: 256
            training: {seed: 3}
            """)
    }
}
