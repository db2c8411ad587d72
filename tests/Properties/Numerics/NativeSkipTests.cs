using DeepGraph.Numerics;

namespace DeepGraph.Properties.Numerics;

/// <summary>
/// The rule behind NativeFact/NativeTheory/NativeProperty: skip, saying why, when no native CBLAS
/// loads, unless DEEPGRAPH_REQUIRE_NATIVE_BLAS asks for one, in which case the test runs and
/// fails naming what could not be loaded (CI sets it so that it never silently loses native coverage).
/// </summary>
public sealed class NativeSkipTests
{
    private static readonly IReadOnlyList<IGemm> One = [new ManagedGemm(1)];

    [Fact]
    public void Without_a_native_library_the_test_is_skipped_with_the_reason() =>
        Assert.Equal("why not", Backends.SkipReason(0, required: false, () => "why not"));

    [Fact]
    public void Without_a_native_library_but_required_the_test_runs_and_fails_with_the_reason()
    {
        Assert.Null(Backends.SkipReason(0, required: true, () => "why not"));
        var e = Assert.Throws<InvalidOperationException>(() => Backends.Check([], () => "openblas: libopenblas.so.0 not found"));
        Assert.Contains(Backends.RequireVariable, e.Message);
        Assert.Contains("openblas: libopenblas.so.0 not found", e.Message);
    }

    [Theory]
    [InlineData(1, false)]
    [InlineData(1, true)]
    [InlineData(3, false)]
    public void With_a_native_library_the_test_runs(int count, bool required)
    {
        Assert.Null(Backends.SkipReason(count, required, () => throw new InvalidOperationException("the reason is not asked for")));
        Assert.Same(One, Backends.Check(One, () => "unused"));
    }

    [Theory]
    [InlineData("1", true)]
    [InlineData("true", true)]
    [InlineData(" TRUE ", true)]
    [InlineData(null, false)]
    [InlineData("", false)]
    [InlineData("0", false)]
    [InlineData("false", false)]
    [InlineData("yes please", false)]
    public void The_requirement_is_1_or_true(string? value, bool required) =>
        Assert.Equal(required, Backends.IsRequired(value));

    [Fact]
    public void A_skipped_test_names_the_reason_in_short_when_every_library_is_missing_else_in_full()
    {
        string[] missing = ["mkl: libmkl_rt.so.2 not found, libmkl_rt.so not found", "openblas: libopenblas.so.0 not found"];
        Assert.Equal("T [no native CBLAS: mkl, openblas not found; install libopenblas0-pthread]", Backends.SkippedName("T", missing));
        string[] broken = ["mkl: libmkl_rt.so not found", "openblas: libopenblas.so.0 has no cblas_sgemm"];
        Assert.Equal("T [no native CBLAS: mkl: libmkl_rt.so not found; openblas: libopenblas.so.0 has no cblas_sgemm]", Backends.SkippedName("T", broken));
    }

    /// <summary>The attributes apply the rule to this machine: skipped exactly when no native library loads and none is required, naming every kind tried.</summary>
    [Fact]
    public void The_attributes_skip_exactly_when_the_rule_says_so()
    {
        string? reason = Backends.NativeSkipReason;
        Assert.Equal(reason, new NativeFactAttribute().Skip);
        Assert.Equal(reason, new NativeTheoryAttribute().Skip);
        Assert.Equal(reason, new NativePropertyAttribute().Skip);
        Assert.Equal(Backends.Native.Count == 0 && !Backends.NativeRequired, reason is not null);
        Assert.Equal(reason is null ? null : Backends.NativeDisplayName(nameof(The_attributes_skip_exactly_when_the_rule_says_so), "NativeSkipTests.cs"), new NativeFactAttribute().DisplayName);
        if (reason is not null)
        {
            Assert.StartsWith("NativeSkipTests.The_attributes_skip_exactly_when_the_rule_says_so [", new NativeFactAttribute().DisplayName);
            foreach (string kind in CblasGemm.Kinds)
            {
                Assert.Contains(kind, reason);
                Assert.Contains(kind, new NativeFactAttribute().DisplayName);
            }
        }
    }
}
