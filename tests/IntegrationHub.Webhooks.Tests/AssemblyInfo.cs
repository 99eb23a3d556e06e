// The durable suites run the real Webhooks endpoint, whose queue name (hub.webhooks) is fixed: one test class at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
