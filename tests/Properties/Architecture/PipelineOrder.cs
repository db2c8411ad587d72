using System.Reflection;
using System.Reflection.Emit;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using DeepGraph.Core;
using DeepGraph.Numerics;
using DeepGraph.Serialization;

namespace DeepGraph.Properties.Architecture;

/// <summary>
/// Core's folders follow the pipeline shapes → ops → layers → graph → model → execution → training →
/// serialization, with numerics a leaf; the facade sits on top. These tests read what Core's compiled code
/// really uses — every type named in a signature, a base type, or an instruction of a method body — and the
/// folder each type's source lives in (from the PDB), and assert that no reference runs against the pipeline.
/// </summary>
public class PipelineOrder
{
    /// <summary>Core's source folders, in pipeline order. Numerics is a leaf beside Shapes.</summary>
    public static readonly string[] Order = ["Shapes", "Numerics", "Ops", "Layers", "Graph", "Models", "Execution", "Training", "Serialization"];

    /// <summary>
    /// References against the order that exist today, each with its reason; a new one fails the test.
    /// (From folder, to folder, type referenced.)
    /// </summary>
    public static readonly (string From, string To, string Type, string Why)[] Allowed =
    [
        ("Layers", "Execution", nameof(ForwardContext), "a layer's Forward/Backward take the executor's context (pool, threads, BLAS)"),
        ("Graph", "Models", nameof(Core.Model), "a graph holds models nested as layers"),
        ("Models", "Execution", nameof(Executor), "Model.Run is a convenience over the executor"),
        ("Models", "Execution", nameof(ForwardContext), "Model.Run is a convenience over the executor"),
    ];

    private static readonly Lazy<CoreReferences> Refs = new(() => CoreReferences.Of(typeof(Layer).Assembly));

    [Fact]
    public void Every_Core_type_is_placed_in_a_pipeline_folder()
    {
        Assert.Empty(Refs.Value.Unplaced);
        Assert.True(Refs.Value.FolderOf.Count > 100, $"only {Refs.Value.FolderOf.Count} types placed");
        Assert.Equal("Numerics", Refs.Value.FolderOf[typeof(ManagedGemm)]);
        Assert.Equal("Layers", Refs.Value.FolderOf[typeof(Dense)]);
        Assert.Equal("Layers", Refs.Value.FolderOf[typeof(LayerRegistry)]);
        Assert.Equal("Serialization", Refs.Value.FolderOf[typeof(TfjsModel)]);
    }

    [Fact]
    public void No_Core_reference_runs_against_the_pipeline()
    {
        var violations = Checker.AgainstOrder(Refs.Value.Edges, Refs.Value.FolderOf, Order, Allowed);
        Assert.True(violations.Count == 0, "References against the pipeline order:\n" + string.Join("\n", violations));
        // An exception no code needs any more is removed from the list, so that the list stays the truth.
        var used = Refs.Value.Edges.Select(e => (F: Refs.Value.FolderOf.GetValueOrDefault(e.From), T: Refs.Value.FolderOf.GetValueOrDefault(e.To), e.To.Name)).ToHashSet();
        var stale = Allowed.Where(a => !used.Contains((a.From, a.To, a.Type))).Select(a => $"{a.From} → {a.To}.{a.Type}").ToList();
        Assert.True(stale.Count == 0, "Allowed exceptions no longer used: " + string.Join(", ", stale));
    }

    [Fact]
    public void Numerics_references_no_layer_graph_or_model_type()
    {
        var violations = Checker.Forbidden(Refs.Value.Edges, Refs.Value.FolderOf, "Numerics",
            ["Ops", "Layers", "Graph", "Models", "Execution", "Training", "Serialization"], allow: []);
        Assert.True(violations.Count == 0, string.Join("\n", violations));
    }

    [Fact]
    public void Layers_reference_no_serialization_training_or_walker_type()
    {
        var violations = Checker.Forbidden(Refs.Value.Edges, Refs.Value.FolderOf, "Layers",
            ["Serialization", "Training", "Execution", "Graph", "Models"], allow: [typeof(ForwardContext)]);
        Assert.True(violations.Count == 0, string.Join("\n", violations));
    }

    [Fact]
    public void Serialization_names_no_concrete_layer_record_but_the_graph_shaped_ones()
    {
        // Formats look kinds up in the registry; only a model's input and nested models are read as graph structure.
        var concrete = LayerRegistry.Default.Kinds.Select(k => k.LayerType).Where(t => t != typeof(InputLayer)).ToHashSet();
        var named = Refs.Value.Edges
            .Where(e => Refs.Value.FolderOf.GetValueOrDefault(e.From) == "Serialization" && concrete.Contains(e.To))
            .Select(e => $"{e.From.Name} → {e.To.Name}").Distinct().ToList();
        Assert.True(named.Count == 0, "Serialization switches over layer types: " + string.Join(", ", named));
    }

    [Fact]
    public void Core_never_references_the_facade()
    {
        var referenced = typeof(Layer).Assembly.GetReferencedAssemblies().Select(a => a.Name!).ToList();
        Assert.Empty(Checker.FacadeReferences(referenced));
        Assert.DoesNotContain(Refs.Value.Edges, e => e.To.Namespace?.StartsWith("DeepGraph.Keras", StringComparison.Ordinal) == true);
    }

    // ---- the checker on synthetic input: it can fail -------------------------------------------

    [Fact]
    public void The_checker_reports_a_numerics_type_that_uses_a_layer()
    {
        var folders = new Dictionary<Type, string> { [typeof(ManagedGemm)] = "Numerics", [typeof(Dense)] = "Layers", [typeof(Shape)] = "Shapes" };
        var edges = new List<(Type, Type)> { (typeof(ManagedGemm), typeof(Shape)), (typeof(ManagedGemm), typeof(Dense)) };
        var order = Checker.AgainstOrder(edges, folders, Order, Allowed);
        Assert.Single(order);
        Assert.Contains("ManagedGemm (Numerics) → Dense (Layers)", order[0]);
        Assert.Single(Checker.Forbidden(edges, folders, "Numerics", ["Layers"], allow: []));
        Assert.Empty(Checker.Forbidden(edges, folders, "Numerics", ["Layers"], allow: [typeof(Dense)]));
    }

    [Fact]
    public void The_checker_reports_a_layer_that_uses_serialization_and_honours_the_allowed_list()
    {
        var folders = new Dictionary<Type, string>
        {
            [typeof(Dense)] = "Layers", [typeof(TfjsModel)] = "Serialization", [typeof(ForwardContext)] = "Execution", [typeof(Executor)] = "Execution",
        };
        var edges = new List<(Type, Type)> { (typeof(Dense), typeof(ForwardContext)), (typeof(Dense), typeof(TfjsModel)), (typeof(Dense), typeof(Executor)) };
        var violations = Checker.AgainstOrder(edges, folders, Order, Allowed);
        Assert.Equal(2, violations.Count);
        Assert.Contains(violations, v => v.Contains("TfjsModel"));
        Assert.Contains(violations, v => v.Contains("Executor"));
        Assert.Equal(["DeepGraph.Facade"], Checker.FacadeReferences(["System.Runtime", "DeepGraph.Facade"]));
    }

    [Fact]
    public void The_reference_reader_sees_instructions_signatures_and_base_types()
    {
        // The test assembly's own types, read the same way: a `new`, an `is`, a parameter type and a base type are all seen.
        var refs = CoreReferences.Of(typeof(PipelineOrder).Assembly, placeByPdb: false);
        var from = refs.Edges.Where(e => e.From == typeof(Sample)).Select(e => e.To).ToHashSet();
        Assert.Contains(typeof(Dense), from);          // `is Dense`
        Assert.Contains(typeof(Flatten), from);        // `new Flatten`
        Assert.Contains(typeof(TfjsModel), from);      // a call
        Assert.Contains(typeof(ConstantInitializerProbe), from); // a parameter type
        Assert.DoesNotContain(typeof(Conv2D), from);
    }
}

/// <summary>Synthetic code for <see cref="PipelineOrder.The_reference_reader_sees_instructions_signatures_and_base_types"/>.</summary>
internal static class Sample
{
    public static bool IsDense(Layer layer) => layer is Dense;

    public static Layer MakeFlatten() => new Flatten { Id = new LayerId(1), Name = "f" };

    public static string Version(ConstantInitializerProbe? probe) => probe is null ? TfjsModel.KerasVersion + TfjsModel.Backend.Length : "";

    public static object Write(Core.Model m) => TfjsModel.Write(m, "w.bin");
}

/// <summary>A type seen only as a parameter type.</summary>
internal sealed class ConstantInitializerProbe;

/// <summary>The rules, as pure functions over reference edges and the folder of each type.</summary>
public static class Checker
{
    /// <summary>Each edge from a folder to a later one in <paramref name="order"/> that <paramref name="allowed"/> does not list.</summary>
    public static List<string> AgainstOrder(IEnumerable<(Type From, Type To)> edges, IReadOnlyDictionary<Type, string> folderOf, string[] order,
        IEnumerable<(string From, string To, string Type, string Why)> allowed)
    {
        var allow = allowed.Select(a => (a.From, a.To, a.Type)).ToHashSet();
        return [.. edges
            .Where(e => folderOf.ContainsKey(e.From) && folderOf.ContainsKey(e.To))
            .Select(e => (e.From, e.To, F: folderOf[e.From], T: folderOf[e.To]))
            .Where(e => Rank(order, e.T) > Rank(order, e.F) && !(e.F == "Numerics" && e.T == "Shapes") && !allow.Contains((e.F, e.T, e.To.Name)))
            .Select(e => $"{e.From.Name} ({e.F}) → {e.To.Name} ({e.T})")
            .Distinct().Order(StringComparer.Ordinal)];
    }

    /// <summary>Each edge from folder <paramref name="from"/> to one of <paramref name="forbidden"/>, but to a type of <paramref name="allow"/>.</summary>
    public static List<string> Forbidden(IEnumerable<(Type From, Type To)> edges, IReadOnlyDictionary<Type, string> folderOf, string from,
        string[] forbidden, Type[] allow) =>
        [.. edges
            .Where(e => folderOf.GetValueOrDefault(e.From) == from && forbidden.Contains(folderOf.GetValueOrDefault(e.To)) && !allow.Contains(e.To))
            .Select(e => $"{e.From.Name} ({from}) → {e.To.Name} ({folderOf[e.To]})")
            .Distinct().Order(StringComparer.Ordinal)];

    /// <summary>The referenced assembly names that are the facade's.</summary>
    public static List<string> FacadeReferences(IEnumerable<string> assemblyNames) =>
        [.. assemblyNames.Where(n => n.StartsWith("DeepGraph.Facade", StringComparison.Ordinal) || n == "DeepGraph")];

    private static int Rank(string[] order, string folder)
    {
        int i = Array.IndexOf(order, folder);
        // Numerics is a leaf: it ranks with Shapes, so that everything else may use it and it may use nothing later.
        return folder == "Numerics" ? 0 : i;
    }
}

/// <summary>
/// What the types of one assembly reference (edges between its own types, outermost declaring types, generic
/// definitions), and the source folder of each type (the folder under <c>src/DeepGraph.Core/</c> of the file its
/// methods' sequence points lie in, from the portable PDB beside the assembly).
/// </summary>
public sealed class CoreReferences
{
    private CoreReferences(List<(Type From, Type To)> edges, Dictionary<Type, string> folderOf, List<Type> unplaced)
    {
        Edges = edges;
        FolderOf = folderOf;
        Unplaced = unplaced;
    }

    /// <summary>Type → type references (both of the assembly read; Core's references to other assemblies' types included for the facade check).</summary>
    public IReadOnlyList<(Type From, Type To)> Edges { get; }

    /// <summary>The source folder of each (outermost) type.</summary>
    public IReadOnlyDictionary<Type, string> FolderOf { get; }

    /// <summary>Types whose folder could not be found.</summary>
    public IReadOnlyList<Type> Unplaced { get; }

    private const BindingFlags All = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;

    private static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes).GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!).ToDictionary(o => o.Value);

    /// <summary>Reads <paramref name="assembly"/>.</summary>
    public static CoreReferences Of(Assembly assembly, bool placeByPdb = true)
    {
        var edges = new HashSet<(Type, Type)>();
        foreach (var type in assembly.GetTypes())
        {
            var from = Outermost(type);
            void Add(Type? t)
            {
                foreach (var to in Expand(t))
                    if (to != from) edges.Add((from, to));
            }
            Add(type.BaseType);
            foreach (var i in type.GetInterfaces()) Add(i);
            foreach (var f in type.GetFields(All)) Add(f.FieldType);
            foreach (var p in type.GetProperties(All)) Add(p.PropertyType);
            foreach (var m in type.GetMethods(All).Cast<MethodBase>().Concat(type.GetConstructors(All)))
            {
                if (m is MethodInfo mi) Add(mi.ReturnType);
                foreach (var p in m.GetParameters()) Add(p.ParameterType);
                foreach (var t in BodyReferences(m)) Add(t);
            }
        }
        var folderOf = new Dictionary<Type, string>();
        var unplaced = new List<Type>();
        if (placeByPdb) Place(assembly, folderOf, unplaced);
        return new CoreReferences([.. edges], folderOf, unplaced);
    }

    /// <summary>A type and the types it is made of (array elements, generic arguments), each as its outermost declaring generic definition.</summary>
    private static IEnumerable<Type> Expand(Type? t)
    {
        if (t is null) yield break;
        if (t.HasElementType)
        {
            foreach (var e in Expand(t.GetElementType())) yield return e;
            yield break;
        }
        if (t.IsGenericParameter) yield break;
        if (t.IsGenericType && !t.IsGenericTypeDefinition)
        {
            foreach (var a in t.GetGenericArguments())
                foreach (var e in Expand(a)) yield return e;
            t = t.GetGenericTypeDefinition();
        }
        yield return Outermost(t);
    }

    private static Type Outermost(Type t)
    {
        while (t.DeclaringType is { } outer) t = outer;
        return t.IsGenericType ? t.GetGenericTypeDefinition() : t;
    }

    /// <summary>The types a method body's instructions name: type tokens, and the declaring types of the fields and methods it uses.</summary>
    private static IEnumerable<Type> BodyReferences(MethodBase method)
    {
        byte[]? il;
        try
        {
            il = method.GetMethodBody()?.GetILAsByteArray();
        }
        catch (Exception e) when (e is InvalidOperationException or NotSupportedException)
        {
            yield break;
        }
        if (il is null) yield break;
        var module = method.Module;
        Type[]? typeArgs = method.DeclaringType is { IsGenericType: true } d ? d.GetGenericArguments() : null;
        Type[]? methodArgs = method.IsGenericMethod ? method.GetGenericArguments() : null;
        for (int i = 0; i < il.Length;)
        {
            OpCode op;
            if (il[i] == 0xFE)
            {
                op = OpCodesByValue[unchecked((short)(0xFE00 | il[i + 1]))];
                i += 2;
            }
            else
            {
                op = OpCodesByValue[il[i]];
                i += 1;
            }
            switch (op.OperandType)
            {
                case OperandType.InlineNone: break;
                case OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar: i += 1; break;
                case OperandType.InlineVar: i += 2; break;
                case OperandType.InlineI8 or OperandType.InlineR: i += 8; break;
                case OperandType.InlineSwitch: i += 4 + 4 * BitConverter.ToInt32(il, i); break;
                case OperandType.InlineType or OperandType.InlineTok or OperandType.InlineMethod or OperandType.InlineField:
                {
                    int token = BitConverter.ToInt32(il, i);
                    i += 4;
                    MemberInfo? member = null;
                    try
                    {
                        member = module.ResolveMember(token, typeArgs, methodArgs);
                    }
                    catch (ArgumentException)
                    {
                    }
                    switch (member)
                    {
                        case Type t: yield return t; break;
                        case FieldInfo f:
                            yield return f.DeclaringType!;
                            yield return f.FieldType;
                            break;
                        case MethodBase m:
                            if (m.DeclaringType is { } dt) yield return dt;
                            if (m is MethodInfo { IsGenericMethod: true } g)
                                foreach (var a in g.GetGenericArguments()) yield return a;
                            break;
                    }
                    break;
                }
                default: i += 4; break;
            }
        }
    }

    /// <summary>The folder of each outermost type: where the sequence points of its methods (or its nested types' methods) lie.</summary>
    private static void Place(Assembly assembly, Dictionary<Type, string> folderOf, List<Type> unplaced)
    {
        var pdbPath = Path.ChangeExtension(assembly.Location, ".pdb");
        if (!File.Exists(pdbPath)) throw new FileNotFoundException($"The architecture test reads {pdbPath}, which the build writes beside the assembly.", pdbPath);
        using var stream = File.OpenRead(pdbPath);
        using var provider = MetadataReaderProvider.FromPortablePdbStream(stream);
        var pdb = provider.GetMetadataReader();
        const string marker = "/src/DeepGraph.Core/";
        foreach (var type in assembly.GetTypes())
        {
            var outer = Outermost(type);
            if (folderOf.ContainsKey(outer)) continue;
            foreach (var m in type.GetMethods(All).Cast<MethodBase>().Concat(type.GetConstructors(All)))
            {
                var info = pdb.GetMethodDebugInformation(MetadataTokens.MethodDefinitionHandle(m.MetadataToken));
                if (info.Document.IsNil) continue;
                var name = pdb.GetString(pdb.GetDocument(info.Document).Name).Replace('\\', '/');
                int at = name.IndexOf(marker, StringComparison.Ordinal);
                if (at < 0) continue;
                var rest = name[(at + marker.Length)..];
                int slash = rest.IndexOf('/');
                if (slash < 0) continue; // generated or top-level files
                folderOf[outer] = rest[..slash];
                break;
            }
        }
        // Types without method bodies of their own (interfaces, enums, delegates): by their source declaration.
        var root = Path.Combine(Serialization.Fixtures.Root, "src", "DeepGraph.Core");
        var declarations = Directory.GetFiles(root, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Select(f => (Folder: Path.GetRelativePath(root, f).Split(Path.DirectorySeparatorChar)[0], Text: File.ReadAllText(f)))
            .ToList();
        foreach (var type in assembly.GetTypes().Select(Outermost).Distinct())
        {
            if (folderOf.ContainsKey(type) || type.Name.StartsWith('<') || type.Namespace is null && type.Name.Contains('<')) continue;
            var simple = type.Name.Split('`')[0];
            var found = declarations.Where(d => System.Text.RegularExpressions.Regex.IsMatch(d.Text,
                $@"\b(class|record|struct|interface|enum|delegate [^;(]*)\s+{simple}\b")).Select(d => d.Folder).Distinct().ToList();
            if (found.Count == 1) folderOf[type] = found[0];
            else if (type.Namespace?.StartsWith("DeepGraph", StringComparison.Ordinal) == true) unplaced.Add(type);
        }
    }
}
