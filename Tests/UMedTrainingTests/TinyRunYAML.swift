/// The `model:` section of the tiny from-scratch runs that training tests start (umed-tiny at 32 px,
/// one layer of width 32 per tower), indented for a YAML document.
enum TinyRunYAML {
    static let model = """
        model:
          preset: umed-tiny
          tiny: {image_size: 32, patch_size: 8, vision_hidden: 32, vision_layers: 1, vision_heads: 2,
                 text_hidden: 32, text_layers: 1, text_heads: 2, intermediate: 64}
        """
}
