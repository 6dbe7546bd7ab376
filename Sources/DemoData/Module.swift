// DemoData: module placeholder.
