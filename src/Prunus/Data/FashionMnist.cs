namespace Prunus.Data;

/// <summary>The four IDX files of an MNIST-style dataset.</summary>
public sealed record MnistFiles(string Directory, string TrainImages, string TrainLabels, string TestImages, string TestLabels);

/// <summary>
/// Fashion-MNIST (60,000 training and 10,000 test images of 28x28 clothing items, 10 classes): finding the files and
/// loading them as <see cref="ImageDataset"/>s.
/// </summary>
public static class FashionMnist
{
    /// <summary>Where the Debian package dataset-fashion-mnist installs the files.</summary>
    public const string SystemDirectory = "/usr/share/datasets/fashion-mnist";

    /// <summary>Environment variable naming a directory with the files (or with a fashion-mnist subdirectory).</summary>
    public const string EnvironmentVariable = "PRUNUS_DATA";

    /// <summary>The class names, by label.</summary>
    public static readonly IReadOnlyList<string> ClassNames =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    /// <summary>
    /// Finds the files: in <paramref name="dir"/> if given (the --data option), else in $PRUNUS_DATA (or its
    /// fashion-mnist subdirectory), else in <see cref="SystemDirectory"/>. Throws a <see cref="DataException"/> that says
    /// where it looked and how to get the data.
    /// </summary>
    public static MnistFiles Locate(string? dir = null)
    {
        if (!string.IsNullOrEmpty(dir))
        {
            if (File.Exists(dir))
                throw new DataException($"'{dir}' (given with --data) is a file; give the folder that holds the four Fashion-MNIST files");
            if (Directory.Exists(dir) && Find(dir) is null && MissingFiles(dir) is { Count: < 4 } missing)
                throw new DataException($"Fashion-MNIST in '{dir}' (given with --data) is incomplete: " +
                    $"{string.Join(", ", missing.Select(m => Path.Combine(dir, m) + "(.gz)"))} not found");
            return Find(dir) ?? throw NotFound($"in '{dir}' (given with --data)", [dir]);
        }
        var env = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrEmpty(env))
            return Find(env) ?? Find(Path.Combine(env, "fashion-mnist"))
                ?? throw NotFound($"in ${EnvironmentVariable} ('{env}')", [env, Path.Combine(env, "fashion-mnist")]);
        return Find(SystemDirectory) ?? throw NotFound("anywhere", [SystemDirectory]);
    }

    /// <summary>The files in <paramref name="dir"/>, or null unless all four are there.</summary>
    public static MnistFiles? Find(string dir)
    {
        if (!Directory.Exists(dir)) return null;
        var trainImages = FindFile(dir, "train-images", "idx3");
        var trainLabels = FindFile(dir, "train-labels", "idx1");
        var testImages = FindFile(dir, "t10k-images", "idx3");
        var testLabels = FindFile(dir, "t10k-labels", "idx1");
        if (trainImages is null || trainLabels is null || testImages is null || testLabels is null) return null;
        return new MnistFiles(dir, trainImages, trainLabels, testImages, testLabels);
    }

    /// <summary>Names of the files (without .gz) that <see cref="Find"/> does not find in <paramref name="dir"/>.</summary>
    private static List<string> MissingFiles(string dir) =>
        new[] { ("train-images", "idx3"), ("train-labels", "idx1"), ("t10k-images", "idx3"), ("t10k-labels", "idx1") }
            .Where(f => FindFile(dir, f.Item1, f.Item2) is null).Select(f => $"{f.Item1}-{f.Item2}-ubyte").ToList();

    // Both spellings seen in the wild: train-images-idx3-ubyte and train-images.idx3-ubyte, each raw or .gz.
    private static string? FindFile(string dir, string stem, string kind)
    {
        foreach (var sep in new[] { "-", "." })
            foreach (var ext in new[] { "", ".gz" })
            {
                var p = Path.Combine(dir, $"{stem}{sep}{kind}-ubyte{ext}");
                if (File.Exists(p)) return p;
            }
        return null;
    }

    private static DataException NotFound(string where, string[] looked) => new(
        $"Fashion-MNIST was not found {where}. Looked for train-images-idx3-ubyte(.gz), train-labels-idx1-ubyte(.gz), " +
        $"t10k-images-idx3-ubyte(.gz) and t10k-labels-idx1-ubyte(.gz) in: {string.Join(", ", looked)}. " +
        $"Install it with 'sudo apt-get install dataset-fashion-mnist' (files go to {SystemDirectory}), " +
        $"or pass --data DIR (or set ${EnvironmentVariable}) to a directory holding the four files.");

    /// <summary>Loads the training and test sets found by <see cref="Locate"/>.</summary>
    public static (ImageDataset Train, ImageDataset Test) Load(string? dir = null)
    {
        var files = Locate(dir);
        return (LoadSet(files.TrainImages, files.TrainLabels), LoadSet(files.TestImages, files.TestLabels));
    }

    /// <summary>Loads one image file and its label file as a 1-channel dataset with the Fashion-MNIST class names.</summary>
    public static ImageDataset LoadSet(string imagesPath, string labelsPath)
    {
        var images = IdxReader.ReadImages(imagesPath);
        var labels = IdxReader.ReadLabels(labelsPath);
        if (images.Shape[0] != labels.Shape[0])
            throw new DataException($"{imagesPath} holds {images.Shape[0]} images but {labelsPath} holds {labels.Shape[0]} labels");
        var l = new int[labels.Length];
        for (int i = 0; i < l.Length; i++)
        {
            l[i] = labels.Data[i];
            if (l[i] >= ClassNames.Count) throw new DataException($"{labelsPath}: label {i} is {l[i]}, outside the {ClassNames.Count} classes");
        }
        return new ImageDataset(images.Data, l, 1, images.Shape[1], images.Shape[2], ClassNames.Count)
        {
            ClassNames = ClassNames,
            Source = imagesPath,
        };
    }
}
