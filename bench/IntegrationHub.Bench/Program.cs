Console.Error.WriteLine("The benchmark is being written.");
return 1;
