extension PromptTemplates {
    /// The templates compiled into UMed. Change `version` whenever any text changes: it is
    /// recorded in every sample's `generator.prompt_version`.
    public static let builtIn = PromptTemplates(
        version: "template-v1",
        questions: [
            "Please diagnose this image and locate any abnormality.",
            "Is there an abnormality in this {modality} image? If so, where is it and what is it?",
            "Examine this {modality} image. Detect, localize and name any abnormal finding.",
            "What abnormality, if any, does this image show? Give its location as a box.",
            "Review this {modality} scan and report any abnormal area with its location and diagnosis.",
            "Describe any abnormality in this image: whether one is present, where it is, and what it is.",
        ],
        abnormalDetection: [
            "this {modality} image shows {areas}.",
            "there is {areas} in this {modality} image.",
            "{areas_capitalized} can be seen on this {modality} image.",
            "the {modality} image is abnormal, with {areas}.",
        ],
        normalDetection: [
            "no abnormality is seen in this {modality} image.",
            "no abnormality is detected; the {modality} image appears normal.",
            "no abnormality: the {modality} image shows no abnormal area.",
        ],
        localization: [
            "a {size} abnormal area in the {location} of the image.",
            "the abnormality lies in the {location} region.",
            "a {size} region of abnormal appearance, {location}.",
            "located in the {location} part of the image; it is {size}.",
        ],
        recognition: [
            "the appearance and position are consistent with {category}.",
            "the {location} finding is most likely {category} on this {modality} image.",
            "the findings suggest {category}; clinical correlation is advised.",
            "this {size} lesion is best explained as {category}.",
        ])
}
