print("asapp-sandbox")
