// The scenarios kill, freeze and cut off processes and time how long visitors notice: two at once
// on two cores would measure each other. One test class at a time, in the order xunit picks.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
