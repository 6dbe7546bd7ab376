print("asapp-sync")
