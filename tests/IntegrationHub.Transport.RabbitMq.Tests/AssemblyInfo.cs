// Several tests close every broker connection (rabbitmqctl close_all_connections), which would disturb
// tests running at the same time: run the test classes of this assembly one after another.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
