import Foundation
import UMedData
import UMedPipeline
import UMedText
import UMedModels

/// The training and validation samples of a run (either stage): MAU files (decoded on demand), or
/// synthetic phantoms made on the fly — a fresh phantom for every training example when `count`
/// is unset.
struct RunData {
    var train: any SampleSource
    var validation: any SampleSource
    /// Files and finite phantom sets are reshuffled each epoch; a fresh stream needs no shuffle.
    var shufflesTraining: Bool
    /// Samples whose texts only join a built tokenizer's vocabulary.
    var vocabularyOnly: [any SampleSource] = []

    /// The samples `data` names; a phantom stream is sized for `maxSteps` steps of `samplesPerStep`.
    init(data: DataSection, maxSteps: Int?, samplesPerStep: Int) throws {
        if let phantoms = data.phantoms {
            let streamLength = (maxSteps ?? 0) * samplesPerStep
            let templates = try phantoms.templates.map { path -> PromptTemplates in
                do { return try PromptTemplates(directory: URL(fileURLWithPath: path, isDirectory: true)) } catch {
                    throw TrainingError.invalidConfiguration("data.phantoms.templates: \(error)")
                }
            } ?? .builtIn
            let difficulty = try phantoms.resolvedDifficulty()
            let ramp = try phantoms.rampStart().map { PhantomRamp(start: $0, length: phantoms.rampSteps * samplesPerStep) }
            train = PhantomSource(seed: phantoms.seed, size: phantoms.size, count: phantoms.count ?? max(streamLength, 1),
                                  templates: templates, difficulty: difficulty, scene: phantoms.scene, ramp: ramp)
            validation = PhantomSource(seed: phantoms.validationSeed, size: phantoms.size, count: phantoms.validationCount,
                                       templates: templates, difficulty: difficulty, scene: phantoms.scene)
            // A tokenizer built for phantoms knows every scene's words, so a model pretrained on one
            // scene (a shapes base) reads the others (texts only: nothing else of them is trained).
            vocabularyOnly = PhantomScene.allCases.filter { $0 != phantoms.scene }.map {
                PhantomSource(seed: phantoms.seed, size: phantoms.size, count: 1000, templates: templates, difficulty: difficulty, scene: $0)
            }
            shufflesTraining = phantoms.count != nil
            return
        }
        guard let trainPath = data.train else {
            throw TrainingError.invalidConfiguration("data.train or data.phantoms must be set")
        }
        let trainURL = URL(fileURLWithPath: trainPath)
        let root = data.root.map { URL(fileURLWithPath: $0) } ?? trainURL.deletingLastPathComponent()
        func split(_ name: String, _ path: String) throws -> Split? {
            if name.isEmpty || name == "all" { return nil }
            guard let split = Split(rawValue: name) else {
                throw TrainingError.invalidConfiguration("\(path) \"\(name)\" is not train, val, test or all")
            }
            return split
        }
        train = try MAUFileSource(url: trainURL, root: root, split: try split(data.trainSplit, "data.train_split"))
        let validationURL = data.validation.map { URL(fileURLWithPath: $0) } ?? trainURL
        validation = try MAUFileSource(url: validationURL, root: root,
                                       split: try split(data.validationSplit, "data.validation_split"))
        shufflesTraining = true
        guard train.count > 0 else {
            throw TrainingError.noTrainingData("no \(data.trainSplit) sample in \(trainPath)")
        }
    }

    /// Texts a preset's tokenizer is built from: training conversations rendered in the chat
    /// format (the first `limit`: template phrasing repeats, and digits are tokens of their own)
    /// and the validation ones.
    func tokenizerTexts(chatFormat: ChatFormat, system: String?, limit: Int = 1000) throws -> [String] {
        var samples: [MAUSample] = []
        for source in [train, validation] + vocabularyOnly {
            for index in 0..<min(source.count, limit) { samples.append(try source.sample(at: index).sample) }
        }
        return try VisionLanguageProcessor.renderedTexts(of: samples, chatFormat: chatFormat, system: system)
    }
}

extension AugmentationSection {
    /// The collation's augmentation, or nil when off.
    var boxAugmentation: BoxAugmentation? {
        guard enabled else { return nil }
        return BoxAugmentation(
            probability: 1, minimumScale: minCropScale, maximumScale: 1 / minCropScale,
            maximumTranslation: maxTranslation, maximumBrightness: brightness, maximumContrast: contrast)
    }
}
