// The facade keeps one session (automatic names, seeds) per process, as Keras does; tests that
// count names must not interleave.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
